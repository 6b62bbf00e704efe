// npm run db:migrate — applies pending prisma/migrations to DATABASE_URL, or, when it is
// unset, to the embedded database in HUB_DATA_DIR (default ./.hub-data), like the hub does.
// Run as `node dist/scripts/migrate.js` after `tsc -p .`.
import path from "node:path";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../src/infra/embedded-postgres";
import { applyPendingMigrations, migrationNames, pendingMigrations } from "../src/infra/migrations";

// Never print a password.
function describe(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

async function main(): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  let url = process.env.DATABASE_URL;
  if (url) {
    console.log(`Database: ${describe(url)}`);
  } else {
    // Not while the hub runs on the same folder: PGlite is single-process.
    const dataDir = path.resolve(process.env.HUB_DATA_DIR || "./.hub-data");
    console.log(`DATABASE_URL is not set: embedded PostgreSQL (PGlite) in ${dataDir}`);
    embedded = await startEmbeddedPostgres(dataDir);
    url = embedded.url;
  }
  try {
    const pending = await pendingMigrations(url);
    console.log(`Migrations: ${migrationNames().length} in prisma/migrations, ${pending.length} pending`);
    if (pending.length === 0) {
      console.log("Database is up to date.");
      return;
    }
    for (const name of pending) console.log(`  pending  ${name}`);
    const started = Date.now();
    const applied = await applyPendingMigrations(url);
    for (const name of applied) console.log(`  applied  ${name}`);
    console.log(`Applied ${applied.length} migration(s) in ${Date.now() - started} ms.`);
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
