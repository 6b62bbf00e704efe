// The command line and environment of `npm run bench` (scripts/bench.ts); flags win.
import { eventsDefaults, type EventsOptions } from "./events";

export const SECTIONS = ["filing", "clearance", "observability", "authz", "startup", "events", "webhooks", "analytics", "revenue"] as const;
export type Section = (typeof SECTIONS)[number];

export interface Options {
  quick: boolean;
  declarations: number;
  durationSeconds: number;
  connections: number;
  filingBatches: number;
  runs: number;
  seedConcurrency: number;
  timeoutMinutes: number;
  adminUrl: string;
  only: Set<Section>;
  events: EventsOptions;
}

const USAGE = `usage: node dist/scripts/bench.js [--quick] [--declarations N] [--duration S] [--connections N]
       [--filing-batches N] [--runs N] [--subscribers N,N] [--hold-rate N] [--hold-seconds S] [--only ${SECTIONS.join(",")}]`;

const num = (name: string, v: string | undefined, min: number): number => {
  const n = Number(String(v).replace(/_/g, ""));
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs a whole number >= ${min} (got ${v})\n${USAGE}`);
  return n;
};

/** The defaults, and the environment's values over them. */
function fromEnvironment(quick: boolean, env: NodeJS.ProcessEnv): Options {
  const o: Options = {
    quick,
    declarations: env.BENCH_DECLARATIONS ? num("BENCH_DECLARATIONS", env.BENCH_DECLARATIONS, 1000) : quick ? 100_000 : 1_000_000,
    durationSeconds: env.BENCH_DURATION ? num("BENCH_DURATION", env.BENCH_DURATION, 1) : quick ? 5 : 10,
    connections: env.BENCH_CONNECTIONS ? num("BENCH_CONNECTIONS", env.BENCH_CONNECTIONS, 1) : 50,
    filingBatches: env.BENCH_FILING_BATCHES ? num("BENCH_FILING_BATCHES", env.BENCH_FILING_BATCHES, 1) : quick ? 5 : 10,
    runs: env.BENCH_RUNS ? num("BENCH_RUNS", env.BENCH_RUNS, 1) : 15,
    seedConcurrency: env.BENCH_SEED_CONCURRENCY ? num("BENCH_SEED_CONCURRENCY", env.BENCH_SEED_CONCURRENCY, 1) : 4,
    timeoutMinutes: env.BENCH_TIMEOUT_MINUTES ? num("BENCH_TIMEOUT_MINUTES", env.BENCH_TIMEOUT_MINUTES, 1) : 90,
    adminUrl: env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    only: new Set(SECTIONS),
    events: eventsDefaults(quick),
  };
  if (env.BENCH_SUBSCRIBERS) o.events.subscribers = env.BENCH_SUBSCRIBERS.split(",").map((v) => num("BENCH_SUBSCRIBERS", v, 1));
  if (env.BENCH_HOLD_RATE) o.events.holdRate = num("BENCH_HOLD_RATE", env.BENCH_HOLD_RATE, 1);
  if (env.BENCH_HOLD_SECONDS) o.events.holdSeconds = num("BENCH_HOLD_SECONDS", env.BENCH_HOLD_SECONDS, 1);
  if (env.BENCH_EVENT_DECLARATIONS) o.events.declarations = num("BENCH_EVENT_DECLARATIONS", env.BENCH_EVENT_DECLARATIONS, 1000);
  return o;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const o = fromEnvironment(argv.includes("--quick") || env.BENCH_QUICK === "1", env);
  const numeric: Record<string, (v: string) => void> = {
    "--declarations": (v) => (o.declarations = num("--declarations", v, 1000)),
    "--duration": (v) => (o.durationSeconds = num("--duration", v, 1)),
    "--connections": (v) => (o.connections = num("--connections", v, 1)),
    "--filing-batches": (v) => (o.filingBatches = num("--filing-batches", v, 1)),
    "--runs": (v) => (o.runs = num("--runs", v, 1)),
    "--subscribers": (v) => (o.events.subscribers = v.split(",").map((x) => num("--subscribers", x, 1))),
    "--hold-rate": (v) => (o.events.holdRate = num("--hold-rate", v, 1)),
    "--hold-seconds": (v) => (o.events.holdSeconds = num("--hold-seconds", v, 1)),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === "--quick") continue;
    if (Object.hasOwn(numeric, flag)) {
      numeric[flag](value());
    } else if (flag === "--only") {
      const names = value().split(",").map((s) => s.trim()) as Section[];
      for (const n of names) if (!SECTIONS.includes(n)) throw new Error(`unknown section ${n}\n${USAGE}`);
      o.only = new Set(names);
    } else if (flag === "--help" || flag === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
  }
  return o;
}
