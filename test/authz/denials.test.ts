/**
 * Denied fields: null, with exactly one FORBIDDEN error at the field's path, the rest of the
 * result standing, in a deterministic order, on every path a result leaves the hub by (HTTP,
 * WebSocket queries and subscription events, in-process); and child records listed only
 * where the viewer may read one of their own fields.
 */
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import { graphql } from "graphql";
import type { Declaration } from "../../src/generated/prisma/client";
import { createContext } from "../../src/context/context";
import { ownCategoryMask } from "../../src/authz/field-guard";
import { CATEGORY_BIT } from "../../src/authz/categories";
import { makeAgreement, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { fieldsOf, fileFullDeclaration } from "./world";

/**
 * As a party whose agreement with the filer covers only COMMERCIAL: the values and goods
 * items stand; status, tracking number, buyer and each item's net weight are denied.
 */
const READER_VIEW = `query($id: ID!) {
  declaration(id: $id) {
    status trackingNumber totalValue buyerName
    again: trackingNumber
    goodsItems { netWeightKg description }
  }
}`;

type Err = { message: string; path?: readonly (string | number)[]; locations?: unknown; extensions?: Record<string, unknown> };

function wsClient(t: TestHub, key: string): Client {
  return createClient({
    url: t.server!.url.replace("http", "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
}

/** One operation over a socket: its results (one for a query). */
function overSocket(client: Client, query: string, variables: Record<string, unknown>): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const results: any[] = [];
    client.subscribe({ query, variables }, { next: (r) => results.push(r), error: reject, complete: () => resolve(results) });
  });
}

describe("denied fields", () => {
  let t: TestHub;
  let customs: TestParty, filer: TestParty, platform: TestParty, carrier: TestParty, reader: TestParty, grantee: TestParty;
  let d: Declaration;
  const clients: Client[] = [];

  beforeAll(async () => {
    t = await startTestHub();
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    filer = await makeParty(t, "BROKER", "DE", "Broker");
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "DE", "Carrier");
    reader = await makeParty(t, "CARRIER", "NL", "Reader");
    grantee = await makeParty(t, "CARRIER", "NL", "Grantee");
    const lines = Array.from({ length: 12 }, (_, i) => ({
      description: `line ${i + 1}`,
      quantity: 1,
      netWeightKg: "0.100",
      value: "10.00",
      currency: "EUR",
      hsCode: "851830",
      originCountry: "CN",
    }));
    d = await fileFullDeclaration(t, filer, { carrier, platform }, customs, { goodsItems: lines, totalValue: "120.00", grossWeightKg: "1.500" });
    await makeAgreement(t, filer, reader, { categories: ["COMMERCIAL"] });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.stop();
  });

  const expectReaderView = (result: { data?: any; errors?: readonly Err[] }) => {
    const decl = result.data.declaration;
    // the readable part stands
    expect(decl.totalValue).toBe(d.totalValue.toString());
    expect(decl).toMatchObject({ status: null, trackingNumber: null, again: null, buyerName: null });
    expect(decl.goodsItems).toHaveLength(12);
    decl.goodsItems.forEach((item: any, i: number) => expect(item).toEqual({ netWeightKg: null, description: `line ${i + 1}` }));
    // one FORBIDDEN per denied value, at its path, ordered by path (list indexes by number)
    const errors = result.errors ?? [];
    expect(errors.map((e) => e.path!.join("."))).toEqual([
      "declaration.again",
      "declaration.buyerName",
      ...Array.from({ length: 12 }, (_, i) => `declaration.goodsItems.${i}.netWeightKg`),
      "declaration.status",
      "declaration.trackingNumber",
    ]);
    const categoryOf: Record<string, string> = { again: "TRANSPORT", buyerName: "PARTIES", netWeightKg: "TRANSPORT", status: "STATUS", trackingNumber: "TRANSPORT" };
    for (const e of errors) {
      expect(e.extensions).toEqual({ code: "FORBIDDEN", category: categoryOf[e.path!.at(-1) as string] });
      expect(e.message).toMatch(/^(Declaration|GoodsItem)\.\w+ is [A-Z]+ data you have no right to read$/);
      expect(JSON.stringify(e)).not.toMatch(/stack/i);
    }
    expect(errors.find((e) => e.path!.join(".") === "declaration.trackingNumber")!.locations).toEqual([{ line: 3, column: 12 }]);
  };

  it("in-process: null, one FORBIDDEN error at each denied path, the rest standing, the same every time", async () => {
    const first = await t.exec(reader.principal, READER_VIEW, { id: d.id });
    expectReaderView(first as never);
    for (let i = 0; i < 3; i++) {
      const again = await t.exec(reader.principal, READER_VIEW, { id: d.id });
      expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(first)));
    }
  });

  it("over HTTP: the same response, status 200", async () => {
    const res = await t.http(reader.key, READER_VIEW, { id: d.id });
    expect(res.status).toBe(200);
    expectReaderView(res.body);
    const local = await t.exec(reader.principal, READER_VIEW, { id: d.id });
    expect(res.body).toEqual(JSON.parse(JSON.stringify(local)));
  });

  it("over WebSocket: a query, and each event of a subscription", async () => {
    const client = wsClient(t, reader.key);
    clients.push(client);
    const [result] = await overSocket(client, READER_VIEW, { id: d.id });
    expectReaderView(result);

    // each event is one execution: its own denials, none carried over to the next
    const carrierClient = wsClient(t, carrier.key);
    clients.push(carrierClient);
    const d2 = await fileFullDeclaration(t, filer, { carrier, platform }, customs);
    const events: any[] = [];
    const dispose = carrierClient.subscribe(
      { query: `subscription($id: ID) { holdPlaced(declarationId: $id) { kind hold { kind reason response } } }`, variables: { id: d2.id } },
      { next: (e) => events.push(e), error: () => undefined, complete: () => undefined },
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const reason of ["first", "second"]) {
      await t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), d2.id, { kind: "RFI", reason } as never);
    }
    for (let i = 0; i < 60 && events.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    dispose();
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e.data.holdPlaced).toEqual({ kind: "RFI", hold: { kind: "RFI", reason: null, response: null } });
      expect(e.errors.map((x: Err) => [x.path!.join("."), x.extensions!.code])).toEqual([
        ["holdPlaced.hold.reason", "FORBIDDEN"],
        ["holdPlaced.hold.response", "FORBIDDEN"],
      ]);
    }
  });

  it("an executor that does not collect denials still gets them, as thrown errors", async () => {
    const contextValue = createContext(t.hub, reader.principal);
    const res = await graphql({ schema: t.schema, source: READER_VIEW, variableValues: { id: d.id }, contextValue });
    expect(res.data!.declaration).toMatchObject({ trackingNumber: null, totalValue: d.totalValue.toString() });
    const collected = (await t.exec(reader.principal, READER_VIEW, { id: d.id })).errors ?? [];
    expect(res.errors!.map((e) => e.extensions.code)).toEqual(Array(collected.length).fill("FORBIDDEN"));
    expect(res.errors!.map((e) => e.path!.join(".")).sort()).toEqual(collected.map((e: any) => e.path.join(".")).sort());
  });

  it("several roots: errors ordered by path, whichever loads first; none for a field an error took away", async () => {
    const q = `query($id: ID!) { c: declaration(id: $id) { status } a: declaration(id: $id) { trackingNumber } b: declaration(id: $id) { buyerName } }`;
    const res = await t.exec(reader.principal, q, { id: d.id });
    expect(res.errors!.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([
      ["a.trackingNumber", "FORBIDDEN"],
      ["b.buyerName", "FORBIDDEN"],
      ["c.status", "FORBIDDEN"],
    ]);
    // a missing declaration nulls the whole response (its root field is non-null): one error
    const missing = await t.exec(reader.principal, `query($id: ID!) { a: declaration(id: $id) { status } b: declaration(id: "00000000-0000-4000-8000-000000000000") { status } }`, {
      id: d.id,
    });
    expect(missing.data).toBeNull();
    expect(missing.errors!.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([["b", "NOT_FOUND"]]);
  });

  describe("child records are listed only where one of their own fields is readable", () => {
    it("the type's categories come from the built schema", () => {
      for (const type of ["GoodsItem", "Hold", "RiskAlert", "DutyAssessment", "StatusEvent"]) {
        const mask = fieldsOf(t.schema, type).reduce((m, f) => (f.category ? m | CATEGORY_BIT[f.category as keyof typeof CATEGORY_BIT] : m), 0);
        expect({ type, mask: ownCategoryMask(type) }).toEqual({ type, mask });
      }
      expect(ownCategoryMask("RiskAlert")).toBe(CATEGORY_BIT.RISK);
    });

    it("the filer does not learn that customs raised a risk alert; customs does", async () => {
      const q = `query($id: ID!) { declaration(id: $id) { riskAlerts { id } duties { id } } }`;
      const asFiler = await t.exec(filer.principal, q, { id: d.id });
      // the filer may read the fields (its own declaration), but none of customs' alert or assessment
      expect(asFiler.errors).toBeUndefined();
      expect(asFiler.data!.declaration).toEqual({ riskAlerts: [], duties: [] });
      const asCustoms = await t.exec(customs.principal, q, { id: d.id });
      expect(asCustoms.errors).toBeUndefined();
      expect(asCustoms.data!.declaration.riskAlerts).toHaveLength(1);
      expect(asCustoms.data!.declaration.duties).toHaveLength(1);
      // over HTTP too, with a selection that asks nothing but that the alert exists
      const http = await t.http(filer.key, `query($id: ID!) { declaration(id: $id) { riskAlerts { __typename } } }`, { id: d.id });
      expect(http.body).toEqual({ data: { declaration: { riskAlerts: [] } } });
    });

    it("a hold whose fields the viewer cannot read is not listed; one whose STATUS it reads is", async () => {
      // the filer lets the grantee see the declaration's STATUS (so the holds field is readable);
      // customs, whose hold it is, grants only COMMERCIAL, which no field of a hold carries
      await makeAgreement(t, filer, grantee, { categories: ["STATUS"] });
      const toCustoms = await makeAgreement(t, customs, grantee, { categories: ["COMMERCIAL"] });
      const q = `query($id: ID!) { declaration(id: $id) { status holds { id kind reason } } }`;
      const before = await t.exec(grantee.principal, q, { id: d.id });
      expect(before.errors).toBeUndefined();
      expect(before.data!.declaration).toEqual({ status: d.status, holds: [] });
      expect(await t.db.prisma.hold.count({ where: { declarationId: d.id } })).toBeGreaterThan(0);

      await t.db.prisma.agreement.update({ where: { id: toCustoms.id }, data: { categories: ["STATUS"] } });
      const after = await t.exec(grantee.principal, q, { id: d.id });
      const holds = after.data!.declaration.holds;
      expect(holds.length).toBeGreaterThan(0);
      for (const h of holds) expect(h).toMatchObject({ kind: expect.any(String), reason: null });
      expect(after.errors!.every((e: any) => e.extensions.code === "FORBIDDEN" && e.path.at(-1) === "reason")).toBe(true);
    });
  });
});
