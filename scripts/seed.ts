// Seeds a (large) world into DATABASE_URL, or into the embedded database in HUB_DATA_DIR
// when DATABASE_URL is unset. Adds to a store seeded before (parties are reused).
//
//   npm run seed -- --declarations 1000000 [--seed 42] [--batch 1000] [--concurrency 4] [--no-keys]
//
// Build first (`tsc -p .`); runs as `node dist/scripts/seed.js`. On the embedded database,
// stop the hub first: PGlite serves one connection and its data directory one process.
// On a store never started, it first does what the first `npm start` does (src/seed/setup.ts):
// the OPERATOR key and the demo keys (with --no-keys, the OPERATOR key alone) are printed.
import "reflect-metadata";
import path from "node:path";
import { loadConfig } from "../src/config";
import { createHub } from "../src/hub";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../src/infra/embedded-postgres";
import { createLogger } from "../src/infra/logger";
import { applyPendingMigrations } from "../src/infra/migrations";
import { createPrismaClient } from "../src/infra/prisma";
import { createHubPubSub } from "../src/infra/pubsub";
import { Pool } from "pg";
import { loadShippedRuleSets } from "../src/modules/rules/rules.loader";
import { DEFAULT_SEED, ensureWorld, issueDemoKeys, pgWriter, seedDeclarations, seedRules, type DemoKeys } from "../src/seed/demo-world";
import { firstStartSetup, printFirstStartKeys } from "../src/seed/setup";

interface Args {
  declarations: number;
  seed: number;
  batch: number;
  concurrency: number | undefined;
  keys: boolean;
}

const USAGE = `usage: node dist/scripts/seed.js [--declarations N] [--seed N] [--batch N] [--concurrency N] [--no-keys]
  --declarations  declarations to add (default 100000)
  --seed          PRNG seed (default ${DEFAULT_SEED}); content is reproducible for a given seed and store size
  --batch         declarations per transaction (default 1000)
  --concurrency   batches written at once on PostgreSQL (default 4; the embedded database takes one at a time)
  --no-keys       do not issue demo API keys (a store never started still gets, and prints, its OPERATOR key)`;

function parseArgs(argv: string[]): Args {
  const args: Args = { declarations: 100_000, seed: DEFAULT_SEED, batch: 1000, concurrency: undefined, keys: true };
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split("=", 2) as [string, string | undefined];
    const next = () => {
      value ??= argv[++i];
      const n = Number(value?.replace(/_/g, ""));
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a whole number (got ${value ?? "nothing"})\n${USAGE}`);
      return n;
    };
    switch (flag) {
      case "--declarations":
      case "-n":
        args.declarations = next();
        break;
      case "--seed":
        args.seed = next();
        break;
      case "--batch":
        args.batch = Math.max(1, next());
        break;
      case "--concurrency":
        args.concurrency = Math.max(1, next());
        break;
      case "--no-keys":
        args.keys = false;
        break;
      case "--help":
      case "-h":
        console.log(USAGE);
        return process.exit(0);
      default:
        throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  return args;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);

  let embedded: EmbeddedPostgres | null = null;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.HUB_DATA_DIR);
    url = embedded.url;
    console.log(`embedded PostgreSQL (PGlite) in ${path.resolve(config.HUB_DATA_DIR)}`);
  } else {
    console.log(`PostgreSQL at ${url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")}`);
  }
  const concurrency = embedded ? 1 : (args.concurrency ?? 4);

  const applied = await applyPendingMigrations(url);
  if (applied.length) console.log(`migrations applied: ${applied.join(", ")}`);
  const prisma = createPrismaClient(url, { embedded: embedded !== null, poolSize: concurrency + 1 });
  // Seeding publishes nothing: in-process pub/sub, even when REDIS_URL is set.
  const events = createHubPubSub(undefined);
  const hub = createHub(config, prisma, log, events);

  let pool: Pool | undefined;
  try {
    await hub.services.parties.ensureOperatorParty();
    // A store never started: its first start's setup, as `npm start` does it (HubSetup), so
    // the OPERATOR key and the demo keys are printed now (and, after a crash here, by the
    // next start), never lost. A store set up before: nothing (returns null).
    const firstStart = await firstStartSetup(hub, { seed: args.keys ? "demo" : "none", declarations: 0, log, show: printFirstStartKeys });
    const shipped = await loadShippedRuleSets(hub.services.rules);
    console.log(`rule sets: ${shipped.rules} rules and ${shipped.rates} exchange rates loaded (illustrative)`);
    const { world, createdParties, createdAgreements } = await ensureWorld(prisma);
    const offset = await prisma.declaration.count();
    console.log(
      `world: ${Object.keys(world.parties).length} parties (${createdParties} new), ${createdAgreements} new agreements; ` +
        `${offset} declarations already stored`,
    );
    // Keys first, while the Prisma client is connected; printed at the end (a first start printed its own above).
    const keys: DemoKeys = args.keys && !firstStart ? await issueDemoKeys(hub, world) : [];

    // The rules the seed generates with are read now, while the Prisma client is connected.
    const prepared = await seedRules(prisma, world, { now: new Date(), stored: offset > 0, rules: hub.services.rules });

    // Bulk writes go straight through pg (Prisma's raw-parameter encoding costs more than
    // generating the rows). The embedded database takes one connection: release Prisma's.
    await prisma.$disconnect();
    pool = new Pool({ connectionString: url, max: embedded ? 1 : concurrency });
    const started = Date.now();
    const every = Math.max(args.batch, 50_000);
    let nextReport = every;
    const counts = await seedDeclarations(prisma, world, args.declarations, {
      seed: args.seed,
      offset,
      batchSize: args.batch,
      // Embedded: one connection (generating the next batch overlaps the write of the last).
      concurrency: embedded ? 1 : concurrency,
      writer: pgWriter(pool),
      prepared,
      onProgress: (done, total) => {
        if (done < nextReport && done !== total) return;
        while (nextReport <= done) nextReport += every;
        const elapsed = Date.now() - started;
        const rate = done / Math.max(elapsed / 1000, 0.001);
        const eta = done < total ? `, ETA ${duration(((total - done) / rate) * 1000)}` : "";
        console.log(`${done.toLocaleString("en")} / ${total.toLocaleString("en")} declarations, ${Math.round(rate).toLocaleString("en")}/s${eta}`);
      },
    });
    const ms = Date.now() - started;
    console.log(
      `seeded in ${duration(ms)} (${Math.round(counts.declarations / Math.max(ms / 1000, 0.001)).toLocaleString("en")} declarations/s): ` +
        Object.entries(counts)
          .map(([k, v]) => `${k} ${v.toLocaleString("en")}`)
          .join(", "),
    );

    if (keys.length) {
      console.log("\ndemo API keys (shown once; send as 'Authorization: Bearer <key>'):");
      for (const k of keys) console.log(`  ${k.role.padEnd(8)} ${k.party.padEnd(28)} ${k.secret}`);
    }
  } finally {
    await pool?.end();
    await hub.accessLog.close();
    await events.close();
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
