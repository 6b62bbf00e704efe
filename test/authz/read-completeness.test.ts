/**
 * The read side, both directions: every value the contract's rules (test/authz/model.ts)
 * allow a viewer is present and equal to what is stored, and every value they deny is null
 * with a FORBIDDEN error at its path. The randomized property test (property.test.ts) checks
 * that nothing denied leaks; this one checks that nothing allowed is missing, in a world with
 * open holds (placed by destination customs and by customs acting under a delegation), open
 * risk alerts, customs notes, agreements carrying contributions (which grant no reading),
 * and 60 declarations.
 *
 * For every viewer: the declarations list is exactly the declarations it may see, each with
 * every field and every child (a child is listed exactly when one of its own fields is
 * readable); a declaration it may not see is NOT_FOUND by id; clearanceStatus answers
 * exactly where it may read the tracking number, with the holds whose STATUS it may read.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { Agreement, Declaration } from "../../src/generated/prisma/client";
import type { Contribution, DataCategory } from "../../src/generated/prisma/enums";
import type { Principal } from "../../src/authz/principal";
import { makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { CATEGORIES, expectedCategories } from "./model";
import { CHILDREN, fieldsOf, fileFullDeclaration, selectAll } from "./world";

const SEED = Number(process.env.READ_COMPLETENESS_SEED ?? 20261125);
const DECLARATIONS = 60;
const COUNTRIES = ["DE", "FR", "NL"];
const CONTRIBUTIONS: Contribution[] = ["STATUS_EVENTS", "RISK_ALERTS", "HOLDS", "AMEND", "DUTIES"];

type ChildField = keyof typeof CHILDREN;
const CHILD_TABLE: Record<ChildField, string> = { goodsItems: "goodsItem", holds: "hold", riskAlerts: "riskAlert", duties: "dutyAssessment", statusEvents: "statusEvent" };
/** Fields of Declaration that are parties: compared by id with the stored foreign key. */
const PARTY_FIELDS: Record<string, keyof Declaration> = { carrier: "carrierId", post: "postId", platform: "platformId", filer: "filerId" };

describe("read completeness: every allowed value present, every denied one absent", () => {
  let t: TestHub;
  const parties: TestParty[] = [];
  let viewers: (Principal & { label: string })[] = [];
  let declarations: Declaration[] = [];
  let agreements: Agreement[] = [];
  /** stored children per declaration and field, raw rows */
  const childrenOf = new Map<string, Record<ChildField, any[]>>();

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    const rnd = fc.sample(fc.nat({ max: 1_000_000 }), { seed: SEED, numRuns: 5000 });
    let i = 0;
    const next = () => rnd[i++ % rnd.length];
    const pick = <T>(xs: T[]): T => xs[next() % xs.length];
    for (const c of COUNTRIES) parties.push(await makeParty(t, "CUSTOMS", c, `Customs ${c}`));
    for (const [k, c] of [["PLATFORM", "IE"], ["PLATFORM", "CN"], ["CARRIER", "DE"], ["CARRIER", "US"], ["POST", "CN"], ["BROKER", "DE"], ["BROKER", "HK"]] as const) {
      parties.push(await makeParty(t, k, c, `${k} ${parties.length}`));
    }
    const of = (kind: string) => parties.filter((p) => p.kind === kind);
    const customsOf = (c: string) => parties.find((p) => p.kind === "CUSTOMS" && p.country === c)!;
    const p = t.db.prisma;

    for (let n = 0; n < DECLARATIONS; n++) {
      const filer = pick([...of("PLATFORM"), ...of("POST"), ...of("BROKER"), ...of("CARRIER")]);
      const dest = pick(COUNTRIES);
      const carrier = next() % 4 ? pick(of("CARRIER")) : undefined;
      const post = next() % 3 === 0 ? pick(of("POST")) : undefined;
      const platform = next() % 4 ? pick(of("PLATFORM")) : undefined;
      const d = await fileFullDeclaration(t, filer, { carrier, post, platform }, customsOf(dest), {
        destinationCountry: dest,
        originCountry: pick(["CN", "US", "TR"]),
        totalValue: `${10 + (next() % 900)}.00`,
      });
      declarations.push(d);
      const now = new Date();
      // open holds: by the destination's customs, and by another customs (as under a delegation)
      if (n % 3 === 0) {
        await p.hold.create({ data: { declarationId: d.id, placedById: customsOf(dest).id, kind: pick(["RFI", "DO_NOT_LOAD", "HIGH_RISK_SCREENING"] as const), reason: "profile P-3", placedAt: now } });
        await p.declaration.update({ where: { id: d.id }, data: { status: "DO_NOT_LOAD" } });
      }
      if (n % 5 === 1) {
        const other = customsOf(pick(COUNTRIES.filter((c) => c !== dest)));
        await p.hold.create({ data: { declarationId: d.id, placedById: other.id, kind: "DOCUMENTS_REQUIRED", reason: "delegated check", placedAt: now } });
        await p.riskAlert.create({ data: { declarationId: d.id, raisedById: other.id, severity: "LOW", reasonCode: "DELEG", reason: "delegated alert" } });
      }
      // an open alert and a customs note by the destination; a trade note by the carrier
      if (n % 4 === 2) {
        await p.riskAlert.create({ data: { declarationId: d.id, raisedById: customsOf(dest).id, raisedByRule: "R-9", severity: "HIGH", reasonCode: "OPEN", reason: "still open" } });
        await p.statusEvent.create({ data: { declarationId: d.id, recordedById: customsOf(dest).id, code: "HELD_BY_CUSTOMS", occurredAt: now, place: "LEJ", customsNote: "scanner lane 3" } });
      }
      if (carrier && n % 2 === 0) {
        await p.statusEvent.create({ data: { declarationId: d.id, recordedById: carrier.id, code: "DEPARTED", occurredAt: now, place: "PVG", note: "on flight CA931" } });
      }
    }
    declarations = await p.declaration.findMany();

    // agreements: random ones in every state and scope, carrying contributions (which grant no reading)
    for (let n = 0; n < 45; n++) {
      const grantor = pick(parties);
      const grantee = pick(parties.filter((x) => x !== grantor));
      const state = pick(["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "PROPOSED", "SUSPENDED", "REVOKED", "expired", "not-yet"]);
      agreements.push(
        await makeAgreement(t, grantor, grantee, {
          categories: CATEGORIES.filter(() => next() % 3 === 0),
          contributions: CONTRIBUTIONS.filter(() => next() % 3 === 0),
          status: (["expired", "not-yet"].includes(state) ? "ACTIVE" : state) as never,
          validFrom: state === "not-yet" ? new Date(Date.now() + 86_400_000) : undefined,
          validTo: state === "expired" ? new Date(Date.now() - 1000) : null,
          scopeDestinations: next() % 4 === 0 ? [pick(COUNTRIES)] : [],
          scopeOrigins: next() % 6 === 0 ? [pick(["CN", "US"])] : [],
          scopeOnlyCarried: next() % 5 === 0,
        }),
      );
    }
    // and some that matter for children: customs grant the trade and each other their own data
    agreements.push(await makeAgreement(t, customsOf("DE"), of("CARRIER")[0], { categories: ["RISK", "STATUS"], contributions: ["HOLDS"] }));
    agreements.push(await makeAgreement(t, customsOf("FR"), customsOf("NL"), { categories: ["RISK", "REVENUE"], contributions: ["HOLDS", "DUTIES"] }));
    agreements.push(await makeAgreement(t, customsOf("NL"), of("PLATFORM")[0], { categories: ["RISK"], contributions: [], scopeOnlyCarried: true }));
    agreements.push(await makeAgreement(t, customsOf("DE"), of("BROKER")[0], { categories: [], contributions: ["RISK_ALERTS"] }));
    agreements.push(await makeAgreement(t, of("PLATFORM")[1], customsOf("FR"), { categories: ["STATUS"], contributions: ["AMEND"] }));
    agreements.push(await makeAgreement(t, of("BROKER")[0], of("CARRIER")[1], { categories: ["TRANSPORT"], contributions: ["STATUS_EVENTS"] }));

    viewers = [
      ...parties.map((x) => ({ ...x.principal, label: x.name })),
      ...parties.filter((x) => x.kind === "CUSTOMS").map((x) => ({ ...x.principal, role: "ANALYST" as const, label: `${x.name} analyst` })),
      { partyId: t.hub.services.parties.operatorPartyId(), partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null, label: "operator" },
    ];
    for (const d of declarations) {
      const rows = {} as Record<ChildField, any[]>;
      for (const field of Object.keys(CHILDREN) as ChildField[]) {
        rows[field] = await (p as any)[CHILD_TABLE[field]].findMany({ where: { declarationId: d.id, ...(field === "duties" ? { supersededAt: null } : {}) } });
      }
      childrenOf.set(d.id, rows);
    }
  }, 300_000);

  afterAll(async () => {
    await t?.stop();
  });

  /** Stored value and answered value agree (dates as instants, decimals as numbers). */
  function same(stored: unknown, answered: unknown): boolean {
    if (stored === null || stored === undefined) return answered === null;
    if (answered === null || answered === undefined) return false;
    if (stored instanceof Date) return new Date(answered as string).getTime() === stored.getTime();
    if (typeof stored === "object" && typeof (stored as { toFixed?: unknown }).toFixed === "function") return Number(answered) === Number(String(stored));
    if (Array.isArray(stored)) return JSON.stringify(stored) === JSON.stringify(answered);
    // JSON (DutyAssessment.basis): the same value whatever the order of its keys
    if (typeof stored === "object") return isDeepStrictEqual(stored, answered);
    return stored === answered;
  }

  it(`every viewer reads exactly what the model allows (${DECLARATIONS} declarations, seed ${SEED})`, async () => {
    const problems: string[] = [];
    let allowedValues = 0;
    let deniedValues = 0;
    let childrenListed = 0;
    let byIdOnly = 0;
    const childCategories = (type: string) => new Set(fieldsOf(t.schema, type).filter((f) => f.category).map((f) => f.category as DataCategory));
    const selection = selectAll(t.schema, "Declaration");

    /** Checks one object's fields against the model; recurses into the children lists. */
    const checkObject = (
      viewer: (typeof viewers)[number],
      typeName: string,
      answered: any,
      stored: Record<string, any>,
      allowed: Set<DataCategory>,
      path: (string | number)[],
      errors: Map<string, string[]>,
      d: Declaration,
    ) => {
      const where = `${viewer.label} ${path.join(".")}`;
      for (const f of fieldsOf(t.schema, typeName)) {
        if (!(f.name in answered)) continue;
        const value = answered[f.name];
        const at = [...path, f.name].join(".");
        const errs = errors.get(at) ?? [];
        const child = CHILDREN[f.name as ChildField];
        if (f.category && !allowed.has(f.category as DataCategory)) {
          deniedValues++;
          if (value !== null) problems.push(`${where}.${f.name} (${f.category}) is denied but answered ${JSON.stringify(value).slice(0, 80)}`);
          if (!errs.includes("FORBIDDEN")) problems.push(`${where}.${f.name} (${f.category}) is denied without a FORBIDDEN error`);
          continue;
        }
        if (errs.length) problems.push(`${where}.${f.name} is allowed but has errors ${errs}`);
        if (f.category) allowedValues++;
        if (child && typeName === "Declaration") {
          const rows = childrenOf.get(d.id)![f.name as ChildField];
          const own = childCategories(child.type);
          const expected = rows.filter((r) => {
            const holder = child.holder ? r[child.holder] : d.filerId;
            return [...expectedCategories(viewer, holder, d, agreements)].some((c) => own.has(c));
          });
          const got = (value ?? []) as any[];
          const gotIds = got.map((x) => x.id).sort();
          const wantIds = expected.map((r) => r.id).sort();
          if (JSON.stringify(gotIds) !== JSON.stringify(wantIds)) {
            const missing = wantIds.filter((x) => !gotIds.includes(x));
            const extra = gotIds.filter((x) => !wantIds.includes(x));
            if (missing.length) problems.push(`${where}.${f.name}: ${missing.length} readable ${child.type} missing`);
            if (extra.length) problems.push(`${where}.${f.name}: ${extra.length} ${child.type} listed though none of their fields is readable`);
          }
          got.forEach((item, k) => {
            const row = rows.find((r) => r.id === item.id);
            if (!row) return;
            childrenListed++;
            const holder = child.holder ? row[child.holder] : d.filerId;
            checkObject(viewer, child.type, item, row, expectedCategories(viewer, holder, d, agreements), [...path, f.name, k], errors, d);
          });
          continue;
        }
        if (f.name in PARTY_FIELDS) {
          const id = stored[PARTY_FIELDS[f.name]];
          if ((value?.id ?? null) !== (id ?? null)) problems.push(`${where}.${f.name} is ${value?.id ?? null}, stored ${id}`);
          continue;
        }
        if (!(f.name in stored)) continue;
        if (!same(stored[f.name], value)) problems.push(`${where}.${f.name} is ${JSON.stringify(value)}, stored ${JSON.stringify(stored[f.name])}`);
      }
    };

    const collectErrors = (res: { errors?: readonly any[] }, viewer: (typeof viewers)[number]) => {
      const errors = new Map<string, string[]>();
      for (const e of res.errors ?? []) {
        const key = (e.path ?? []).join(".");
        errors.set(key, [...(errors.get(key) ?? []), String(e.extensions?.code)]);
        if (e.extensions?.code !== "FORBIDDEN") problems.push(`${viewer.label}: unexpected error ${e.message}`);
      }
      return errors;
    };

    for (const viewer of viewers) {
      const visible = declarations.filter((d) => expectedCategories(viewer, d.filerId, d, agreements).size > 0);
      // The list's default order is filedAt, a STATUS value: sorting never uses a value the
      // viewer cannot read, so the list holds the visible declarations whose STATUS it reads;
      // the others are reached by id (below), where every allowed value must be present too.
      const listable = visible.filter((d) => expectedCategories(viewer, d.filerId, d, agreements).has("STATUS"));
      const res = await t.exec(viewer, `query { page: declarations(first: 1000) { totalCount edges { node { id ${selection} } } } }`);
      const errors = collectErrors(res, viewer);
      const edges = (res.data?.page?.edges ?? []) as { node: any }[];
      const gotIds = edges.map((e) => e.node.id).sort();
      const wantIds = listable.map((d) => d.id).sort();
      const missing = wantIds.filter((x) => !gotIds.includes(x));
      const extra = gotIds.filter((x) => !wantIds.includes(x));
      if (missing.length) problems.push(`${viewer.label}: ${missing.length} declarations it may read the STATUS of missing from the list`);
      if (extra.length) problems.push(`${viewer.label}: ${extra.length} declarations listed whose STATUS it may not read`);
      if (res.data?.page && res.data.page.totalCount !== listable.length) problems.push(`${viewer.label}: totalCount ${res.data.page.totalCount}, ${listable.length} listable`);
      edges.forEach((edge, k) => {
        const d = declarations.find((x) => x.id === edge.node.id);
        if (!d) return;
        checkObject(viewer, "Declaration", edge.node, d, expectedCategories(viewer, d.filerId, d, agreements), ["page", "edges", k, "node"], errors, d);
      });
      for (const d of visible.filter((x) => !listable.includes(x))) {
        byIdOnly++;
        const r = await t.exec(viewer, `query($id: ID!) { one: declaration(id: $id) { id ${selection} } }`, { id: d.id });
        if (!r.data?.one) {
          problems.push(`${viewer.label}: visible declaration ${d.id} NOT_FOUND by id (${r.errors?.[0]?.message})`);
          continue;
        }
        checkObject(viewer, "Declaration", r.data.one, d, expectedCategories(viewer, d.filerId, d, agreements), ["one"], collectErrors(r, viewer), d);
      }
      const visibleIds = visible.map((d) => d.id);

      for (const d of declarations) {
        // a declaration it may not see does not exist for it
        if (!visibleIds.includes(d.id)) {
          const r = await t.exec(viewer, `query($id: ID!) { declaration(id: $id) { id } }`, { id: d.id });
          if (r.errors?.[0]?.extensions?.code !== "NOT_FOUND") problems.push(`${viewer.label}: invisible declaration ${d.id} answered ${JSON.stringify(r).slice(0, 120)}`);
        }
        // clearanceStatus: answered exactly where the tracking number is readable
        const cats = expectedCategories(viewer, d.filerId, d, agreements);
        const c = await t.exec(viewer, `query($tn: String!) { c: clearanceStatus(trackingNumber: $tn) { id status onHold openHoldKinds } }`, { tn: d.trackingNumber });
        if (!cats.has("TRANSPORT")) {
          if (c.errors?.[0]?.extensions?.code !== "NOT_FOUND") problems.push(`${viewer.label}: clearanceStatus of ${d.trackingNumber} answered without TRANSPORT`);
          continue;
        }
        if (!c.data?.c) {
          problems.push(`${viewer.label}: clearanceStatus of ${d.trackingNumber} refused though TRANSPORT is readable (${c.errors?.[0]?.message})`);
          continue;
        }
        if (!cats.has("STATUS")) {
          if (c.data.c.status !== null) problems.push(`${viewer.label}: clearance status without STATUS`);
          continue;
        }
        const open = childrenOf.get(d.id)!.holds.filter((h) => h.status === "OPEN" && expectedCategories(viewer, h.placedById, d, agreements).has("STATUS"));
        const want = { id: d.id, status: d.status, onHold: open.length > 0, openHoldKinds: [...new Set(open.map((h) => h.kind))].sort() };
        const got = { ...c.data.c, openHoldKinds: [...c.data.c.openHoldKinds].sort() };
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${viewer.label}: clearanceStatus ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
    }

    console.log(
      `read completeness: ${viewers.length} viewers x ${declarations.length} declarations (${agreements.length} agreements, seed ${SEED}): ` +
        `${allowedValues} allowed values present, ${deniedValues} denied values absent, ${childrenListed} children checked, ${byIdOnly} visible only by id; ${problems.length} problems` +
        (problems.length ? `\n${[...new Set(problems)].slice(0, 40).join("\n")}` : ""),
    );
    expect(allowedValues).toBeGreaterThan(10_000);
    expect(deniedValues).toBeGreaterThan(1_000);
    expect(problems).toEqual([]);
  }, 600_000);
});
