/**
 * Every categorized field x every baseline relation x every agreement state, generated
 * from the schema: a field added later is covered without editing this file.
 */
import type { Agreement, Declaration } from "../../src/generated/prisma/client";
import type { DataCategory } from "../../src/generated/prisma/enums";
import type { Principal } from "../../src/authz/principal";
import { makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { CATEGORIES, expectedCategories } from "./model";
import { CHILDREN, LEFT_NULL, fieldsOf, fileFullDeclaration, selectAll } from "./world";

type Errors = Map<string, { code: string }[]>;

function errorsByPath(result: { errors?: readonly any[] }): Errors {
  const map: Errors = new Map();
  for (const e of result.errors ?? []) {
    const key = (e.path ?? []).join(".");
    map.set(key, [...(map.get(key) ?? []), { code: e.extensions?.code }]);
  }
  return map;
}

const AGREEMENT_STATES = ["none", "PROPOSED", "ACTIVE", "SUSPENDED", "REVOKED", "expired", "out-of-scope", "not-yet-valid"] as const;
const RELATIONS = [
  "destination customs officer",
  "destination customs analyst",
  "other customs",
  "filer",
  "named platform",
  "named carrier",
  "named post",
  "unrelated party",
  "operator",
];
const LABELS = [...RELATIONS, ...CATEGORIES.flatMap((c) => AGREEMENT_STATES.map((s) => `agreement ${s} granting ${c}`))];

describe("field-level authorization matrix", () => {
  let t: TestHub;
  let customsDE: TestParty, customsFR: TestParty, filer: TestParty, platform: TestParty, carrier: TestParty, post: TestParty, stranger: TestParty;
  let declaration: Declaration;
  let query: string;
  let agreements: Agreement[] = [];
  const viewers = new Map<string, Principal>();

  beforeAll(async () => {
    t = await startTestHub({ http: false });
    customsDE = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
    customsFR = await makeParty(t, "CUSTOMS", "FR", "Douane FR");
    filer = await makeParty(t, "BROKER", "DE", "Broker");
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    post = await makeParty(t, "POST", "CN", "Post");
    stranger = await makeParty(t, "CARRIER", "NL", "Stranger");
    declaration = await fileFullDeclaration(t, filer, { carrier, post, platform }, customsDE);

    viewers.set("destination customs officer", customsDE.principal);
    viewers.set("destination customs analyst", { ...customsDE.principal, role: "ANALYST" });
    viewers.set("other customs", customsFR.principal);
    viewers.set("filer", filer.principal);
    viewers.set("named platform", platform.principal);
    viewers.set("named carrier", carrier.principal);
    viewers.set("named post", post.principal);
    viewers.set("unrelated party", stranger.principal);
    const operatorId = t.hub.services.parties.operatorPartyId();
    viewers.set("operator", { partyId: operatorId, partyKind: "OPERATOR", country: "ZZ", role: "OPERATOR", apiKeyId: null });

    // One grantee per (category, state): agreements from both holders on the declaration
    // (the filer, and the customs that contributed holds, alerts and duties).
    const day = 86_400_000;
    for (const category of CATEGORIES) {
      for (const state of AGREEMENT_STATES) {
        const grantee = await makeParty(t, "CARRIER", "NL", `Grantee ${category} ${state}`);
        viewers.set(`agreement ${state} granting ${category}`, grantee.principal);
        if (state === "none") continue;
        const shape = {
          categories: [category as DataCategory],
          status: (["PROPOSED", "SUSPENDED", "REVOKED"].includes(state) ? state : "ACTIVE") as never,
          validTo: state === "expired" ? new Date(Date.now() - day) : null,
          validFrom: state === "expired" ? new Date(Date.now() - 2 * day) : state === "not-yet-valid" ? new Date(Date.now() + day) : undefined,
          scopeDestinations: state === "out-of-scope" ? ["FR"] : [],
        };
        agreements.push(await makeAgreement(t, filer, grantee, shape));
        agreements.push(await makeAgreement(t, customsDE, grantee, shape));
      }
    }
    query = `query One($id: ID!) { declaration(id: $id) { ${selectAll(t.schema, "Declaration")} } }`;
  });

  afterAll(async () => {
    await t?.stop();
  });

  it("covers every categorized field of the schema", async () => {
    const res = await t.exec(customsDE.principal, "{ fieldCategories { type field category } }");
    const listed = res.data!.fieldCategories.map((f: any) => `${f.type}.${f.field}`);
    for (const type of ["Declaration", ...Object.values(CHILDREN).map((c) => c.type)]) {
      for (const f of fieldsOf(t.schema, type)) {
        if (f.category) expect(listed).toContain(`${type}.${f.name}`);
      }
    }
    expect(query).toContain("goodsItems {");
    expect([...viewers.keys()].sort()).toEqual([...LABELS].sort());
  });

  it.each(LABELS)("%s: sees exactly what the contract grants", async (label) => {
    const viewer = viewers.get(label)!;
    const result = await t.exec(viewer, query, { id: declaration.id });
    const errors = errorsByPath(result);
    const declCats = expectedCategories(viewer, declaration.filerId, declaration, agreements);

    if (declCats.size === 0) {
      expect({ label, data: result.data }).toEqual({ label, data: null });
      expect(errors.get("declaration")).toEqual([{ code: "NOT_FOUND" }]);
      const status = await t.exec(viewer, `query($tn: String!) { clearanceStatus(trackingNumber: $tn) { status } }`, { tn: declaration.trackingNumber });
      expect(status.errors?.[0].extensions?.code).toBe("NOT_FOUND");
      return;
    }
    const d = result.data!.declaration;
    let checked = 0;
    for (const f of fieldsOf(t.schema, "Declaration")) {
      const path = `declaration.${f.name}`;
      if (!f.category) {
        expect({ label, path, value: d[f.name] }).not.toEqual({ label, path, value: null });
        continue;
      }
      checked++;
      if (!declCats.has(f.category as DataCategory)) {
        expect({ label, path, value: d[f.name], errors: errors.get(path) }).toEqual({ label, path, value: null, errors: [{ code: "FORBIDDEN" }] });
        continue;
      }
      expect({ label, path, errors: errors.get(path) }).toEqual({ label, path, errors: undefined });
      expect({ label, path, isNull: d[f.name] === null }).toEqual({ label, path, isNull: false });
      const child = CHILDREN[f.name as keyof typeof CHILDREN];
      if (!child) continue;
      const rows: any[] = await (t.db.prisma as any)[{ goodsItems: "goodsItem", holds: "hold", riskAlerts: "riskAlert", duties: "dutyAssessment", statusEvents: "statusEvent" }[f.name]!].findMany({
        where: { declarationId: declaration.id },
      });
      // listed only where the viewer may read one of the child's own fields (their categories)
      const own = new Set(fieldsOf(t.schema, child.type).map((cf) => cf.category).filter(Boolean));
      const expectedRows = rows.filter((r) =>
        [...expectedCategories(viewer, child.holder ? r[child.holder] : declaration.filerId, declaration, agreements)].some((c) => own.has(c)),
      );
      expect({ label, path, ids: d[f.name].map((x: any) => x.id).sort() }).toEqual({ label, path, ids: expectedRows.map((r) => r.id).sort() });
      d[f.name].forEach((item: any, idx: number) => {
        const row = rows.find((r) => r.id === item.id);
        const cats = expectedCategories(viewer, child.holder ? row[child.holder] : declaration.filerId, declaration, agreements);
        for (const cf of fieldsOf(t.schema, child.type)) {
          if (!cf.category) continue;
          const cpath = `${path}.${idx}.${cf.name}`;
          checked++;
          if (cats.has(cf.category as DataCategory)) {
            // null only where the fixture says why and the stored row holds nothing
            const shouldBeNull = `${child.type}.${cf.name}` in LEFT_NULL && row[cf.name] == null;
            expect({ label, cpath, isNull: item[cf.name] === null, errors: errors.get(cpath) }).toEqual({ label, cpath, isNull: shouldBeNull, errors: undefined });
          } else {
            expect({ label, cpath, value: item[cf.name], errors: errors.get(cpath) }).toEqual({ label, cpath, value: null, errors: [{ code: "FORBIDDEN" }] });
          }
        }
      });
    }
    expect(checked).toBeGreaterThan(30);
    // no error beyond those the expectations above accounted for
    for (const [path, errs] of errors) expect({ path, errs }).toEqual({ path, errs: [{ code: "FORBIDDEN" }] });

    // Looking a parcel up by its tracking number is reading that number (TRANSPORT); the
    // answer's status fields are STATUS data.
    const status = await t.exec(viewer, `query($tn: String!) { clearanceStatus(trackingNumber: $tn) { id status onHold } }`, { tn: declaration.trackingNumber });
    if (!declCats.has("TRANSPORT")) {
      expect({ label, errors: status.errors?.map((e) => e.extensions?.code) }).toEqual({ label, errors: ["NOT_FOUND"] });
    } else if (declCats.has("STATUS")) {
      expect({ label, errors: status.errors }).toEqual({ label, errors: undefined });
      expect(status.data?.clearanceStatus).toEqual({ id: declaration.id, status: declaration.status, onHold: false });
    } else {
      expect({ label, c: status.data?.clearanceStatus }).toEqual({ label, c: { id: declaration.id, status: null, onHold: null } });
      expect(status.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN", "FORBIDDEN"]);
    }
  });
});
