import "reflect-metadata";
import { graphql, print, type GraphQLSchema, type ExecutionResult } from "graphql";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { loadConfig } from "../../src/config";
import { createHub, type Hub } from "../../src/hub";
import { createLogger, type Logger } from "../../src/infra/logger";
import { createHubPubSub } from "../../src/infra/pubsub";
import { buildHubSchema } from "../../src/schema/build";
import { startServer, type RunningServer } from "../../src/server/server";
import { createContext } from "../../src/context/context";
import type { Principal } from "../../src/authz/principal";
import type { DataCategory, Contribution, PartyKind, Role } from "../../src/generated/prisma/enums";
import { createTestDatabase, type TestDatabase } from "./database";
import { createPrismaClient } from "../../src/infra/prisma";
import { settledWithin } from "../../src/shared/deadline";
import { loadShippedRuleSets } from "../../src/modules/rules";

export const ADMIN_TOKEN = "test-admin-token-0123456789abcdef";

export interface TestHub {
  hub: Hub;
  db: TestDatabase;
  schema: GraphQLSchema;
  server: RunningServer | null;
  /** POST a GraphQL request over HTTP, as a partner's system would. */
  http(key: string | null, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  /** Execute in-process with a principal: same schema, context and guards, no HTTP. */
  exec(principal: Principal | null, query: string, variables?: Record<string, unknown>): Promise<ExecutionResult<any>>;
  stop(): Promise<void>;
}

export async function startTestHub(
  opts: {
    http?: boolean;
    env?: Record<string, string>;
    /** a second instance on the same PostgreSQL database */
    sameDatabaseAs?: TestHub;
    /** the hub's logger (default: silent) */
    log?: Logger;
    /** load the shipped (illustrative) rule sets: tariffs, thresholds, exchange rates */
    rules?: boolean;
  } = {},
): Promise<TestHub> {
  const db = opts.sameDatabaseAs ? sharedDatabase(opts.sameDatabaseAs.db) : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: "test",
    HUB_SEED: "none",
    PORT: "0",
    LOG_LEVEL: "silent",
    HUB_ADMIN_TOKEN: ADMIN_TOKEN,
    HUB_ACCESS_LOG_FLUSH_MS: "20",
    // tests change agreements straight in the store; the cache has its own test
    HUB_AGREEMENT_CACHE_MS: "0",
    ...opts.env,
  });
  const hub = createHub(config, db.prisma, opts.log ?? createLogger("silent"), createHubPubSub(config.REDIS_URL));
  await hub.services.parties.ensureOperatorParty();
  if (opts.rules) await loadShippedRuleSets(hub.services.rules);
  const schema = await buildHubSchema(hub.events);
  const server = opts.http === false ? null : await startServer(hub, schema, 0, async () => true);
  return {
    hub,
    db,
    schema,
    server,
    async http(key, query, variables) {
      const res = await fetch(server!.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: await res.json() };
    },
    async exec(principal, query, variables) {
      const contextValue = createContext(hub, principal);
      contextValue.authz.collectDenials(); // as the servers do: denied fields reported below, not thrown
      const result = await graphql({ schema, source: query, variableValues: variables, contextValue });
      hub.accessLog.enqueue(principal ? contextValue.authz.recorder.drain(principal, null) : []);
      return contextValue.authz.reportDenials(result);
    },
    async stop() {
      // bounded: a step that does not end fails the suite's afterAll saying which, and the
      // rest still runs (left open, the server or the embedded database would keep jest alive)
      const late: string[] = [];
      const step = async (what: string, work: () => Promise<unknown> | undefined) => {
        if (!(await settledWithin(work(), STOP_STEP_MS))) late.push(what);
      };
      await step("the HTTP and WebSocket server", () => server?.stop());
      if (late.length) server?.httpServer.closeAllConnections();
      await step("the access log", () => hub.accessLog.close());
      await step("pub/sub", () => hub.events.close());
      await step("analytics", () => hub.services.analytics.close());
      await step("the database", () => db.close());
      if (late.length) throw new Error(`the test hub did not stop within ${STOP_STEP_MS / 1000} s at: ${late.join(", ")}`);
    },
  };
}

const STOP_STEP_MS = 15_000;

function sharedDatabase(of: TestDatabase): TestDatabase {
  if (of.embedded) throw new Error("the embedded database serves one instance; use TEST_DB=postgres");
  const prisma = createPrismaClient(of.url, { embedded: false, poolSize: 3 });
  return { url: of.url, prisma, embedded: false, close: () => prisma.$disconnect() };
}

export interface TestParty {
  id: string;
  name: string;
  kind: PartyKind;
  country: string;
  principal: Principal;
  key: string;
}

/** A world in one call: parties of every kind with one key each. */
export async function makeParty(
  t: TestHub,
  kind: PartyKind,
  country: string,
  name: string,
  role: Role = kind === "CUSTOMS" ? "OFFICER" : "AGENT",
): Promise<TestParty> {
  const party = await t.db.prisma.party.create({
    data: { kind, country, name, iossNumber: kind === "PLATFORM" ? "IM2760000001" : null },
  });
  const key = await t.hub.services.parties.issueKey(party.id, role, `${name} key`);
  const apiKey = await t.db.prisma.apiKey.findFirstOrThrow({ where: { partyId: party.id }, orderBy: { createdAt: "desc" } });
  return {
    id: party.id,
    name,
    kind,
    country,
    key,
    principal: { partyId: party.id, partyKind: kind, country, role, apiKeyId: apiKey.id },
  };
}

export function asRole(p: TestParty, role: Role): Principal {
  return { ...p.principal, role };
}

let counter = 0;
/**
 * A valid declaration input; override what the test is about. A totalValue or currency
 * given without goodsItems carries over to the goods items, so the declaration stays
 * consistent (one currency; total = sum of the items).
 */
export function declarationInput(over: Record<string, unknown> = {}) {
  counter++;
  const currency = typeof over.currency === "string" ? over.currency : "EUR";
  const total = typeof over.totalValue === "string" && /^\d+(\.\d{1,2})?$/.test(over.totalValue) ? over.totalValue : "120.50";
  return {
    localReference: `LRN-${Date.now()}-${counter}`,
    trackingNumber: `CARRIER${String(counter).padStart(8, "0")}`,
    originCountry: "CN",
    destinationCountry: "DE",
    totalValue: "120.50",
    currency: "EUR",
    grossWeightKg: "1.250",
    category: "SALE_OF_GOODS",
    iossNumber: "IM2760000001",
    platformOrderId: `ORD-${counter}`,
    sellerName: "Shenzhen Gadget Co",
    sellerAddress: "1 Tech Road, Shenzhen",
    sellerCountry: "CN",
    buyerName: "Erika Mustermann",
    buyerAddress: "Hauptstr. 1, 10115 Berlin",
    buyerCountry: "DE",
    goodsItems: defaultItems(total, currency),
    ...over,
  };
}

/** Headphones and T-shirts worth `total` together (the T-shirts 40.00 when the total allows). */
function defaultItems(total: string, currency: string) {
  const cents = Math.round(Number(total) * 100);
  const shirts = cents > 4000 ? 4000 : 0;
  const money = (c: number) => (c / 100).toFixed(2);
  const headphones = { description: "Wireless headphones", quantity: 1, netWeightKg: "0.300", value: money(cents - shirts), currency, hsCode: "851830", originCountry: "CN" };
  const tshirts = { description: "Cotton T-shirt", quantity: 2, netWeightKg: "0.400", value: money(shirts), currency, hsCode: "610910", originCountry: "CN" };
  return shirts ? [headphones, tshirts] : [headphones];
}

/** An agreement straight into the store, in any state the test needs. */
export async function makeAgreement(
  t: TestHub,
  grantor: TestParty,
  grantee: TestParty,
  over: {
    categories?: DataCategory[];
    contributions?: Contribution[];
    status?: "PROPOSED" | "ACTIVE" | "SUSPENDED" | "REVOKED";
    validFrom?: Date;
    validTo?: Date | null;
    scopeDestinations?: string[];
    scopeOrigins?: string[];
    scopeOnlyCarried?: boolean;
  } = {},
) {
  return t.db.prisma.agreement.create({
    data: {
      grantorId: grantor.id,
      granteeId: grantee.id,
      proposedById: grantee.id,
      purpose: "test",
      legalBasis: "test",
      categories: over.categories ?? [],
      contributions: over.contributions ?? [],
      status: over.status ?? "ACTIVE",
      validFrom: over.validFrom ?? new Date(Date.now() - 60_000),
      validTo: over.validTo === undefined ? null : over.validTo,
      scopeDestinations: over.scopeDestinations ?? [],
      scopeOrigins: over.scopeOrigins ?? [],
      scopeOnlyCarried: over.scopeOnlyCarried ?? false,
    },
  });
}

/** A typed call over HTTP with a document generated by codegen (npm run codegen). */
export async function typedHttp<R, V>(
  t: TestHub,
  key: string | null,
  document: TypedDocumentNode<R, V>,
  variables: V,
): Promise<{ data: R | null; errors?: { message: string; path?: (string | number)[]; extensions: { code: string } }[] }> {
  const res = await t.http(key, print(document), variables as Record<string, unknown>);
  return res.body;
}
