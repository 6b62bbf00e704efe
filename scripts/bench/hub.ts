// A hub in the bench's own process, as src/app.ts assembles it, and what the sections do with
// it: keys, rate limits, GraphQL over HTTP.
import type { GraphQLSchema } from "graphql";
import { loadConfig } from "../../src/config";
import { createContext } from "../../src/context/context";
import type { Principal } from "../../src/authz/principal";
import type { Role } from "../../src/generated/prisma/enums";
import { createHub, type Hub } from "../../src/hub";
import { createLogger, type Logger } from "../../src/infra/logger";
import { createPrismaClient } from "../../src/infra/prisma";
import { createHubPubSub } from "../../src/infra/pubsub";
import { buildHubSchema } from "../../src/schema/build";
import type { SeedWorld } from "../../src/seed/demo-world";
import { startServer, type RunningServer } from "../../src/server/server";
import { countingPool } from "./util";

export interface BenchHub {
  hub: Hub;
  schema: GraphQLSchema;
  server: RunningServer | null;
  /** SQL statements sent to PostgreSQL by this hub's Prisma client so far */
  statements(): number;
  stop(): Promise<void>;
}

/** The production configuration, with a rate limit that cannot interfere. */
function benchConfig(databaseUrl: string, env: Record<string, string> = {}) {
  return loadConfig({
    NODE_ENV: "production",
    LOG_LEVEL: "silent",
    HUB_RATE_LIMIT_PER_MINUTE: "100000000",
    PORT: "0",
    HUB_SEED: "none",
    DATABASE_URL: databaseUrl,
    ...env,
  });
}

/**
 * A hub as src/app.ts assembles it (Prisma over pg with a pool of 10, in-process pub/sub,
 * schema with full policy, Apollo on node:http, Express for the rest, on port 0), without embedded storage or seeding.
 * With `countStatements`, Prisma gets an external pg Pool whose clients count every query.
 */
export async function startBenchHub(
  databaseUrl: string,
  opts: { http: boolean; countStatements?: boolean; /** production settings on top of benchConfig */ env?: Record<string, string>; log?: Logger },
): Promise<BenchHub> {
  const config = benchConfig(databaseUrl, opts.env);
  const counting = opts.countStatements ? countingPool(databaseUrl, 10) : undefined;
  const pool = counting?.pool;
  const prisma = createPrismaClient(databaseUrl, { embedded: false, pool });
  const events = createHubPubSub(undefined);
  const hub = createHub(config, prisma, opts.log ?? createLogger("silent"), events);
  await hub.services.parties.ensureOperatorParty();
  const schema = await buildHubSchema(events, { debug: false });
  const server = opts.http ? await startServer(hub, schema, 0, async () => true, { host: "127.0.0.1" }) : null;
  return {
    hub,
    schema,
    server,
    statements: () => counting?.statements() ?? 0,
    async stop() {
      await server?.stop();
      await hub.accessLog.close();
      await events.close();
      await prisma.$disconnect(); // closes the counting pool too
    },
  };
}

/** As the operator: a limit no bench run reaches, through setRateLimit's service. */
export async function raiseLimit(hub: Hub, partyId: string): Promise<void> {
  const operator: Principal = { partyId: hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null };
  await hub.services.rateLimits.set(createContext(hub, operator), { partyId, perMinute: 100_000_000, reason: "bench" });
}

export async function issueKey(hub: Hub, world: SeedWorld, partyKey: string, role: Role): Promise<{ secret: string; principal: Principal }> {
  const party = world.parties[partyKey];
  const secret = await hub.services.parties.issueKey(party.id, role, `bench ${role.toLowerCase()}`);
  const principal = await hub.authenticator.authenticate(`Bearer ${secret}`);
  if (!principal) throw new Error("a key just issued does not authenticate");
  return { secret, principal };
}

export async function postGraphql(url: string, key: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body, bytes: text.length };
}
