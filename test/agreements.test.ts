import "reflect-metadata";
import { createTestDatabase } from "./testkit/database";
import { createContext, type HubContext } from "../src/context/context";
import { createLogger } from "../src/infra/logger";
import { createHubPubSub } from "../src/infra/pubsub";
import { loadConfig } from "../src/config";
import { createHub, type Hub } from "../src/hub";
import type { Party, PrismaClient } from "../src/generated/prisma/client";
import type { Role } from "../src/generated/prisma/enums";
import type { AgreementService } from "../src/modules/agreements";
import { effectiveStatus } from "../src/modules/agreements/agreements.types";
import { agreementLoaders } from "../src/modules/agreements/agreements.loaders";
import type { ProposeAgreementInput } from "../src/modules/agreements/agreements.inputs";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let prisma: PrismaClient;
let service: AgreementService;
let hub: Hub;
let platform: Party; // the data holder (grantor) in most tests
let carrier: Party; // the recipient (grantee)
let outsider: Party;
let hubOperator: Party;

const HOUR = 3600_000;

/** A real request context over the hub's services. */
function ctxFor(party: Party, role: Role = "AGENT"): HubContext {
  return createContext(hub, { partyId: party.id, partyKind: party.kind, country: party.country, role, apiKeyId: null });
}

function proposal(over: Partial<ProposeAgreementInput> = {}): ProposeAgreementInput {
  return {
    grantorId: platform.id,
    granteeId: carrier.id,
    purpose: "Pre-arrival transport planning",
    legalBasis: "Contract 2026-17, art. 4",
    categories: ["STATUS", "COMMERCIAL"],
    contributions: ["STATUS_EVENTS"],
    scope: { destinationCountries: ["fr", "DE"], originCountries: [], onlyCarried: true },
    ...over,
  };
}

/** Proposed by the carrier, accepted by the platform: ACTIVE at version 2. */
async function activeAgreement(over: Partial<ProposeAgreementInput> = {}) {
  const a = await service.propose(ctxFor(carrier), proposal(over));
  return service.accept(ctxFor(platform), a.id, a.version);
}

const code = (c: string) => ({ extensions: expect.objectContaining({ code: c }) });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = db.prisma;
  // wired as src/hub.ts does; no agreement cache (tests look at the store right after changes)
  hub = createHub(
    loadConfig({ NODE_ENV: "test", HUB_SEED: "none", LOG_LEVEL: "silent", HUB_AGREEMENT_CACHE_MS: "0" }),
    prisma,
    createLogger("silent"),
    createHubPubSub(undefined),
  );
  service = hub.services.agreements;
  const party = (name: string, kind: Party["kind"], country: string) =>
    prisma.party.create({ data: { name, kind, country } });
  platform = await party("Shopfront", "PLATFORM", "CN");
  carrier = await party("Fastwings", "CARRIER", "FR");
  outsider = await party("Nosy Broker", "BROKER", "DE");
  hubOperator = await party("Luxor Hub", "OPERATOR", "NL");
});

afterAll(async () => {
  await hub?.accessLog.close();
  await hub?.events.close();
  await db?.close();
});

describe("agreement lifecycle", () => {
  it("is proposed by the grantee, accepted by the grantor, suspended, resumed and revoked, with history", async () => {
    const proposed = await service.propose(ctxFor(carrier), proposal());
    expect(proposed).toMatchObject({
      status: "PROPOSED",
      version: 1,
      proposedById: carrier.id,
      grantorId: platform.id,
      granteeId: carrier.id,
      scopeDestinations: ["FR", "DE"], // normalised to upper case
      scopeOnlyCarried: true,
    });

    // The proposer cannot accept its own proposal.
    await expect(service.accept(ctxFor(carrier), proposed.id)).rejects.toMatchObject(code("FORBIDDEN"));
    // A stale expectedVersion is a conflict and changes nothing.
    await expect(service.accept(ctxFor(platform), proposed.id, 7)).rejects.toMatchObject(code("CONFLICT"));

    const active = await service.accept(ctxFor(platform), proposed.id, 1);
    expect(active).toMatchObject({ status: "ACTIVE", version: 2 });

    // The grantee's policy sees the agreement; after its own suspension in the same request
    // (invalidate), it no longer does.
    const granteeCtx = ctxFor(carrier);
    expect((await granteeCtx.authz.policy()).agreements.map((a) => a.id)).toContain(active.id);
    const suspended = await service.suspend(granteeCtx, active.id, "  audit pending  ", 2);
    expect(suspended).toMatchObject({ status: "SUSPENDED", version: 3 });
    expect((await granteeCtx.authz.policy()).agreements.map((a) => a.id)).not.toContain(active.id);

    // Only the party that suspended may lift the suspension.
    await expect(service.accept(ctxFor(platform), active.id)).rejects.toMatchObject(code("FORBIDDEN"));
    const resumed = await service.accept(ctxFor(carrier), active.id, 3);
    expect(resumed).toMatchObject({ status: "ACTIVE", version: 4 });

    await service.suspend(ctxFor(platform), active.id, null);
    const revoked = await service.revoke(ctxFor(platform), active.id, "contract ended");
    expect(revoked).toMatchObject({ status: "REVOKED", version: 6 });

    const history = await agreementLoaders(ctxFor(platform)).history.load(active.id);
    expect(history.map((e) => [e.action, e.fromStatus, e.toStatus, e.actorPartyId, e.note])).toEqual([
      ["PROPOSE", null, "PROPOSED", carrier.id, null],
      ["ACCEPT", "PROPOSED", "ACTIVE", platform.id, null],
      ["SUSPEND", "ACTIVE", "SUSPENDED", carrier.id, "audit pending"],
      ["RESUME", "SUSPENDED", "ACTIVE", carrier.id, null],
      ["SUSPEND", "ACTIVE", "SUSPENDED", platform.id, null],
      ["REVOKE", "SUSPENDED", "REVOKED", platform.id, "contract ended"],
    ]);
    const times = history.map((e) => e.at.getTime());
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  });

  it("rejects illegal transitions with CONFLICT naming both statuses", async () => {
    const proposed = await service.propose(ctxFor(platform), proposal());
    await expect(service.suspend(ctxFor(carrier), proposed.id, null)).rejects.toMatchObject({
      message: expect.stringContaining("from PROPOSED to SUSPENDED"),
      extensions: expect.objectContaining({ code: "CONFLICT", from: "PROPOSED", to: "SUSPENDED" }),
    });
    // Either party may withdraw a proposal.
    await service.revoke(ctxFor(platform), proposed.id, "withdrawn");
    // One at a time: a promise that rejects before its expectation is attached is an unhandled rejection.
    for (const attempt of [
      () => service.accept(ctxFor(carrier), proposed.id),
      () => service.suspend(ctxFor(carrier), proposed.id, null),
      () => service.revoke(ctxFor(carrier), proposed.id, null),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ ...code("CONFLICT"), message: expect.stringContaining("from REVOKED") });
    }
    const active = await activeAgreement();
    await expect(service.accept(ctxFor(carrier), active.id)).rejects.toMatchObject(code("CONFLICT"));
  });

  it("lets exactly one of two concurrent suspensions through", async () => {
    const active = await activeAgreement();
    // Both read version 2 before either writes; without compare-and-set both would apply.
    const results = await Promise.allSettled([
      service.suspend(ctxFor(platform), active.id, "a"),
      service.suspend(ctxFor(carrier), active.id, "b"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const [failed] = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(failed.reason).toMatchObject(code("CONFLICT"));
    const after = await prisma.agreement.findUniqueOrThrow({ where: { id: active.id } });
    expect(after).toMatchObject({ status: "SUSPENDED", version: 3 });
    expect(await prisma.agreementEvent.count({ where: { agreementId: active.id } })).toBe(3);
  });

  it("applies a transition only from the version it was read at (compare-and-set)", async () => {
    const active = await activeAgreement();
    const moved = await prisma.$transaction((tx) =>
      service.repository.transition(tx, {
        id: active.id,
        fromVersion: 1, // stale
        fromStatus: "ACTIVE",
        toStatus: "REVOKED",
        action: "REVOKE",
        actorPartyId: platform.id,
        note: null,
        at: new Date(),
      }),
    );
    expect(moved).toBeNull();
    expect(await prisma.agreement.findUniqueOrThrow({ where: { id: active.id } })).toMatchObject({
      status: "ACTIVE",
      version: 2,
    });
  });

  it("cannot accept a proposal whose validity has already ended", async () => {
    const past = new Date(Date.now() - 2 * HOUR);
    const a = await service.propose(ctxFor(carrier), proposal({ validFrom: past, validTo: new Date(Date.now() - HOUR) }));
    expect(effectiveStatus(a, new Date())).toBe("EXPIRED");
    await expect(service.accept(ctxFor(platform), a.id)).rejects.toMatchObject(code("CONFLICT"));
  });
});

describe("propose validation", () => {
  it("names every offending input path", async () => {
    const err = await service
      .propose(
        ctxFor(carrier),
        proposal({
          grantorId: carrier.id,
          granteeId: carrier.id,
          purpose: "   ",
          legalBasis: "x".repeat(2001),
          categories: [],
          contributions: [],
          scope: { destinationCountries: ["XX", "usa"], originCountries: ["CN"], onlyCarried: false },
          validFrom: new Date("2026-01-02T00:00:00Z"),
          validTo: new Date("2026-01-01T00:00:00Z"),
        }),
      )
      .catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(err.problems.map((p: { path: string }) => p.path).sort()).toEqual(
      [
        "input.granteeId",
        "input.purpose",
        "input.legalBasis",
        "input.categories",
        "input.scope.destinationCountries[0]",
        "input.scope.destinationCountries[1]",
        "input.validTo",
      ].sort(),
    );
  });

  it("reports parties that do not exist", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    await expect(service.propose(ctxFor(carrier), proposal({ grantorId: missing }))).rejects.toMatchObject({
      ...code("BAD_USER_INPUT"),
      problems: [{ path: "input.grantorId", message: "no such party" }],
    });
    await expect(service.propose(ctxFor(carrier), proposal({ grantorId: "not-a-uuid" }))).rejects.toMatchObject({
      problems: [{ path: "input.grantorId", message: "must be a party id" }],
    });
  });

  it("only lets a party propose an agreement it is part of, and never the OPERATOR role", async () => {
    await expect(service.propose(ctxFor(outsider), proposal())).rejects.toMatchObject(code("FORBIDDEN"));
    await expect(service.propose(ctxFor(carrier, "OPERATOR"), proposal())).rejects.toMatchObject(code("FORBIDDEN"));
  });

  it("grants only contributions the grantor holds itself, and customs decisions only to customs", async () => {
    const paths = (e: { problems: { path: string }[] }) => e.problems.map((x) => x.path);
    // A platform files and amends (and records some events) itself: it may let others do so;
    // holds, duties and risk alerts it never holds, so it cannot grant them.
    const err = await service
      .propose(ctxFor(carrier), proposal({ contributions: ["STATUS_EVENTS", "HOLDS", "AMEND", "DUTIES", "RISK_ALERTS"] }))
      .catch((e) => e);
    expect(err.extensions.code).toBe("BAD_USER_INPUT");
    expect(paths(err)).toEqual(["input.contributions[1]", "input.contributions[3]", "input.contributions[4]"]);
    expect(err.problems[0].message).toMatch(/does not hold this right itself/);
    await expect(
      service.propose(ctxFor(outsider), proposal({ granteeId: outsider.id, contributions: ["AMEND", "STATUS_EVENTS"] })),
    ).resolves.toMatchObject({ status: "PROPOSED", contributions: ["AMEND", "STATUS_EVENTS"] });

    // Customs decide holds and duties themselves, but delegate those decisions to customs only.
    const zoll = await prisma.party.create({ data: { name: "Zoll", kind: "CUSTOMS", country: "DE" } });
    const douane = await prisma.party.create({ data: { name: "Douane", kind: "CUSTOMS", country: "FR" } });
    const toCarrier = await service
      .propose(ctxFor(zoll, "OFFICER"), proposal({ grantorId: zoll.id, granteeId: carrier.id, contributions: ["RISK_ALERTS", "HOLDS", "DUTIES"] }))
      .catch((e) => e);
    expect(toCarrier.extensions.code).toBe("BAD_USER_INPUT");
    expect(paths(toCarrier)).toEqual(["input.contributions[1]", "input.contributions[2]"]);
    expect(toCarrier.problems[0].message).toMatch(/delegated only to customs/);
    await expect(
      service.propose(ctxFor(zoll, "OFFICER"), proposal({ grantorId: zoll.id, granteeId: douane.id, contributions: ["HOLDS", "DUTIES", "RISK_ALERTS"] })),
    ).resolves.toMatchObject({ status: "PROPOSED" });
    // nobody but customs grants customs decisions, not even to customs
    const fromCarrier = await service
      .propose(ctxFor(zoll, "OFFICER"), proposal({ grantorId: carrier.id, granteeId: zoll.id, contributions: ["HOLDS"] }))
      .catch((e) => e);
    expect(paths(fromCarrier)).toEqual(["input.contributions[0]"]);
  });

  it("defaults validFrom to now and accepts contributions without categories", async () => {
    const before = Date.now();
    const a = await service.propose(ctxFor(carrier), proposal({ categories: [], scope: null }));
    expect(a.validFrom.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(a).toMatchObject({ validTo: null, categories: [], scopeDestinations: [], scopeOnlyCarried: false });
  });
});

describe("inForceFor", () => {
  it("returns ACTIVE agreements within their validity period, mapped for the policy", async () => {
    const t0 = new Date(Date.now() + 10 * HOUR);
    const validFrom = new Date(t0.getTime() + HOUR);
    const validTo = new Date(t0.getTime() + 2 * HOUR);
    const grantee = await prisma.party.create({ data: { name: "Window Post", kind: "POST", country: "FR" } });
    const propose = (over: Partial<ProposeAgreementInput> = {}) =>
      service.propose(ctxFor(grantee), proposal({ granteeId: grantee.id, validFrom, validTo, ...over }));

    const p = await propose();
    const active = await service.accept(ctxFor(platform), p.id);
    await propose(); // stays PROPOSED
    const s = await propose();
    await service.accept(ctxFor(platform), s.id);
    await service.suspend(ctxFor(platform), s.id, null);
    const r = await propose();
    await service.accept(ctxFor(platform), r.id);
    await service.revoke(ctxFor(grantee), r.id, null);
    const openEnded = await service.accept(ctxFor(platform), (await propose({ validTo: null })).id);

    const ids = async (at: Date) => (await service.inForceFor(grantee.id, at)).map((g) => g.id).sort();
    expect(await ids(t0)).toEqual([]); // not yet valid
    expect(await ids(validFrom)).toEqual([active.id, openEnded.id].sort()); // validFrom inclusive
    expect(await ids(new Date(validTo.getTime() - 1))).toEqual([active.id, openEnded.id].sort());
    expect(await ids(validTo)).toEqual([openEnded.id]); // validTo exclusive: expired
    expect(await ids(new Date(validTo.getTime() + 365 * 24 * HOUR))).toEqual([openEnded.id]);

    // The grantor is not granted anything by agreements it gives.
    expect(await service.inForceFor(platform.id, validFrom)).toEqual([]);

    const [granting] = (await service.inForceFor(grantee.id, validFrom)).filter((g) => g.id === active.id);
    expect(granting).toEqual({
      id: active.id,
      grantorId: platform.id,
      grantorKind: "PLATFORM",
      grantorCountry: "CN",
      categories: ["STATUS", "COMMERCIAL"],
      contributions: ["STATUS_EVENTS"],
      scopeDestinations: ["FR", "DE"],
      scopeOrigins: [],
      scopeOnlyCarried: true,
    });
    expect(effectiveStatus(active, validTo)).toBe("EXPIRED");
    expect(effectiveStatus(active, validFrom)).toBe("ACTIVE");
  });

  it("returns nothing for an id that is not a party id", async () => {
    expect(await service.inForceFor("operator", new Date())).toEqual([]);
  });
});

describe("visibility", () => {
  it("hides an agreement from a third party exactly like a missing one", async () => {
    const a = await activeAgreement();
    const nosy = ctxFor(outsider);
    const missing = "00000000-0000-4000-8000-000000000001";
    for (const id of [a.id, missing, "not-a-uuid"]) {
      await expect(service.get(nosy, id)).rejects.toMatchObject({ ...code("NOT_FOUND"), message: `Agreement ${id} was not found` });
    }
    await expect(service.accept(nosy, a.id)).rejects.toMatchObject(code("NOT_FOUND"));
    await expect(service.suspend(nosy, a.id, null)).rejects.toMatchObject(code("NOT_FOUND"));
    await expect(service.revoke(nosy, a.id, null)).rejects.toMatchObject(code("NOT_FOUND"));
    expect((await service.list(nosy, {})).map((x) => x.id)).not.toContain(a.id);
    // Nothing changed.
    expect(await service.get(ctxFor(platform), a.id)).toMatchObject({ status: "ACTIVE", version: 2 });
  });

  it("lists a party's agreements by side and status", async () => {
    const a = await activeAgreement();
    const asGrantor = await service.list(ctxFor(platform), { role: "AS_GRANTOR" });
    const asGrantee = await service.list(ctxFor(platform), { role: "AS_GRANTEE" });
    expect(asGrantor.map((x) => x.id)).toContain(a.id);
    expect(asGrantor.every((x) => x.grantorId === platform.id)).toBe(true);
    expect(asGrantee.map((x) => x.id)).not.toContain(a.id);
    const activeForCarrier = await service.list(ctxFor(carrier), { status: "ACTIVE" });
    expect(activeForCarrier.map((x) => x.id)).toContain(a.id);
    expect(activeForCarrier.every((x) => x.status === "ACTIVE")).toBe(true);
  });

  it("lets the OPERATOR role read every agreement but change none", async () => {
    const a = await activeAgreement();
    const op = ctxFor(hubOperator, "OPERATOR");
    expect(await service.get(op, a.id)).toMatchObject({ id: a.id });
    const all = await service.list(op, {});
    expect(all.map((x) => x.id)).toContain(a.id);
    expect(all.length).toBe(await prisma.agreement.count());
    await expect(service.suspend(op, a.id, null)).rejects.toMatchObject(code("FORBIDDEN"));
    await expect(service.revoke(op, a.id, null)).rejects.toMatchObject(code("FORBIDDEN"));
  });

  it("requires a principal", async () => {
    const anonymous = createContext(hub, null);
    await expect(service.list(anonymous, {})).rejects.toMatchObject(code("UNAUTHENTICATED"));
  });
});
