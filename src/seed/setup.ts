// The first start of a store: an OPERATOR key and, when asked, the demo world with its
// keys. Recorded in the HubSetup row so that a crash part-way is resumed on the next start:
// declarations continue from the count already stored (content depends only on the
// declaration's number), and keys issued before the crash, never shown, are revoked and
// issued anew (secrets are stored hashed, so they cannot be shown again). The row is
// marked finished only after the keys were handed to `show`.
import type { Hub } from "../hub";
import type { Logger } from "../infra/logger";
import { OPERATOR_PARTY_NAME } from "../modules/parties/parties.service";
import { DEMO_KEY_LABELS, ensureWorld, issueDemoKeys, seedDeclarations, type SeedWorld } from "./demo-world";
import { SetupRepository } from "./setup.repository";

export const OPERATOR_KEY_LABEL = "operator (first start)";

export interface FirstStartKey {
  role: string;
  party: string;
  secret: string;
}

export interface FirstStartOptions {
  seed: "demo" | "none";
  declarations: number;
  log: Logger;
  /** Shows the new keys (main prints them); the setup is finished only after it returns. */
  show: (keys: FirstStartKey[], resumed: boolean) => void;
}

/**
 * Prints a first start's keys to stdout (not the log), once: keys are stored hashed and
 * cannot be shown again. The hub's first start and `npm run seed` on a new store print them so.
 */
export function printFirstStartKeys(keys: FirstStartKey[], resumed: boolean): void {
  const lines = [
    "",
    `API keys of this store's first start${resumed ? " (resumed after an interruption: keys issued before it were revoked)" : ""}.`,
    "Shown once; send as `Authorization: Bearer <key>`. Lost? `npm run keys` (README: Getting back in).",
    ...keys.map((k) => `  ${k.role.padEnd(8)} ${k.party.padEnd(34)} ${k.secret}`),
    "",
  ];
  // console.log to a file or pipe is synchronous on Linux: printed before the setup is marked done
  console.log(lines.join("\n"));
}

/** Runs (or resumes) the first start's setup; returns the keys shown, or null when the store was set up before. */
export async function firstStartSetup(hub: Hub, opts: FirstStartOptions): Promise<FirstStartKey[] | null> {
  const repo = new SetupRepository(hub.prisma);
  const { log } = opts;
  let setup = await repo.get();
  if (setup?.finishedAt) return null;
  const resumed = setup !== null;
  if (!setup) {
    // A store populated before setups were recorded (or by `npm run seed`): nothing to do.
    if ((await repo.partyCount()) > 1) {
      await repo.begin("none", 0, true);
      log.info("store set up before (no first-start record): no keys issued; `npm run keys` manages them");
      return null;
    }
    setup = await repo.begin(opts.seed, opts.seed === "demo" ? opts.declarations : 0);
    if (!setup) {
      log.warn("another process is setting this store up; its keys are printed there");
      return null;
    }
    log.info({ seed: setup.seed, declarations: setup.declarationsTarget }, "first start: setting the store up");
  } else {
    log.warn({ startedAt: setup.startedAt, seed: setup.seed }, "first start was interrupted: resuming it (keys issued before are revoked and issued anew)");
  }

  const world = setup.seed === "demo" ? await seedDemo(hub, setup.declarationsTarget, log) : null;
  const since = new Date(setup.startedAt.getTime() - 1000);
  const revoked = await repo.revokeUnshown([OPERATOR_KEY_LABEL, ...DEMO_KEY_LABELS], since);
  if (revoked) log.warn({ revoked }, "first start: revoked keys issued before the interruption (never shown)");
  const demoKeys: FirstStartKey[] = world ? await issueDemoKeys(hub, world) : [];
  const operatorId = await hub.services.parties.ensureOperatorParty();
  const operator = await hub.services.parties.issueKey(operatorId, "OPERATOR", OPERATOR_KEY_LABEL);
  const keys = [{ role: "OPERATOR", party: OPERATOR_PARTY_NAME, secret: operator }, ...demoKeys];
  opts.show(keys, resumed);
  await repo.finish();
  return keys;
}

/** Parties, agreements and declarations up to `target`, continuing from those already stored. */
async function seedDemo(hub: Hub, target: number, log: Logger): Promise<SeedWorld> {
  const started = Date.now();
  const { world, createdParties, createdAgreements } = await ensureWorld(hub.prisma);
  log.info({ createdParties, createdAgreements }, "demo world: parties and agreements ready");
  const stored = await new SetupRepository(hub.prisma).declarationCount();
  const count = Math.max(0, target - stored);
  if (stored) log.info({ stored, remaining: count }, "demo world: resuming the declarations");
  const every = Math.max(500, Math.ceil(target / 10));
  let lastLogged = 0;
  const counts = await seedDeclarations(hub.prisma, world, count, {
    offset: stored,
    rules: hub.services.rules,
    // A real server takes a few batches at once (no more than the pool has connections); the
    // embedded one serves one connection (a second batch would wait for it in the pool and,
    // on a busy machine, time out there). Generating the next batch overlaps the write either way.
    concurrency: hub.config.DATABASE_URL ? Math.min(3, hub.config.HUB_DB_POOL_SIZE) : 1,
    batchSize: 500,
    onProgress: (done, total) => {
      if (done - lastLogged < every && done !== total) return;
      lastLogged = done;
      log.info({ done: stored + done, total: target }, "demo world: declarations seeded");
    },
  });
  log.info({ ...counts, ms: Date.now() - started }, "demo world seeded");
  return world;
}
