// npm run db:migration:new -- <name> — writes prisma/migrations/<timestamp>_<name>/migration.sql
// with the SQL that takes the migrations folder to prisma/schema.prisma.
// Needs a PostgreSQL server (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres):
// the engine replays the migrations on a scratch "shadow" database that it creates on that
// server and drops afterwards (so the user needs CREATEDB). The database named in the URL
// is neither read nor changed. PGlite cannot do this (it has a single database).
// Run as `node dist/scripts/new-migration.js <name>` after `tsc -p .`.
import path from "node:path";
import { createMigration, migrationNames, repoRoot } from "../src/infra/migrations";

const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || process.argv.length > 3) {
    console.error("Usage: npm run db:migration:new -- <name>   (e.g. add_hold_deadline)");
    process.exitCode = 2;
    return;
  }
  const url = process.env.DATABASE_URL ?? DEFAULT_URL;
  const server = new URL(url);
  console.log(`Comparing prisma/migrations (${migrationNames().length} migrations) with prisma/schema.prisma`);
  console.log(`Shadow database on ${server.hostname}:${server.port || 5432} as ${decodeURIComponent(server.username) || "(default user)"}`);
  const folder = await createMigration(url, name);
  if (!folder) {
    console.log("No changes: schema.prisma already matches the migrations. Nothing written.");
    return;
  }
  console.log(`Created ${path.relative(repoRoot(), path.join(folder, "migration.sql"))}`);
  console.log("Review it, then apply with: npm run db:migrate");
}

main().catch((err: unknown) => {
  console.error(`Creating the migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
