/** Prometheus /metrics and the request log (README "Observability"), over HTTP. */
import pino from "pino";
import { makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";
import { subscribe, wsClient } from "../testkit/ws";
import { createContext } from "../../src/context/context";

const TOKEN = "metrics-token-0123456789";

function memoryLog() {
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (s: string) => void lines.push(s) });
  const requests = () => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
  return { log, lines, requests };
}

async function scrape(t: TestHub, token?: string) {
  const res = await fetch(t.server!.url.replace("/graphql", "/metrics"), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

async function post(t: TestHub, key: string, body: Record<string, unknown>) {
  const res = await fetch(t.server!.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** The value of one sample line (`name{labels} value`) of the exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics and request log on", () => {
  let t: TestHub;
  let carrier: TestParty;
  const mem = memoryLog();
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_METRICS_TOKEN: TOKEN, HUB_BODY_LIMIT: "4kb" }, log: mem.log });
    carrier = await makeParty(t, "CARRIER", "DE", "Metrics Carrier");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("counts requests by operation and outcome, with latency histograms, pool, WebSocket, event and access-log gauges", async () => {
    for (let i = 0; i < 3; i++) expect((await post(t, carrier.key, { query: "query Who { me { role } }", operationName: "Who" })).status).toBe(200);
    await post(t, carrier.key, { query: `query Lookup($tn: String!) { clearanceStatus(trackingNumber: $tn) { status } }`, variables: { tn: "NOPE123" } });
    await post(t, "not-a-key", { query: "query Who { me { role } }", operationName: "Who" });
    const ws = wsClient(t, carrier.key);
    const sub = subscribe(ws, `subscription { holdPlaced { eventId } }`);
    try {
      await waitFor(() => t.server!.wsLimits.subscriptions() === 1);
      const m = await scrape(t, TOKEN);
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sample(m.text, 'hub_graphql_requests_total{operation="Who",type="query",code="OK",transport="http"}')).toBe(3);
      expect(sample(m.text, 'hub_graphql_requests_total{operation="Lookup",type="query",code="NOT_FOUND",transport="http"}')).toBe(1);
      expect(sample(m.text, 'hub_graphql_requests_total{operation="Who",type="unknown",code="UNAUTHENTICATED",transport="http"}')).toBe(1);
      expect(sample(m.text, 'hub_graphql_request_duration_seconds_count{operation="Who",type="query",transport="http"}')).toBe(3);
      expect(sample(m.text, 'hub_graphql_request_duration_seconds_bucket{le="+Inf",operation="Who",type="query",transport="http"}')).toBe(3);
      expect(sample(m.text, "hub_ws_connections")).toBe(1);
      expect(sample(m.text, "hub_ws_subscriptions")).toBe(1);
      expect(sample(m.text, "hub_event_lag")).toBe(0);
      // an event committed to the outbox: the head moves, and this instance's feed follows
      const head = sample(m.text, "hub_event_outbox_head")!;
      await t.hub.services.writes.run(
        createContext(t.hub, carrier.principal),
        { operation: "metricsTestEvent", request: {}, keep: () => ({}), replay: async () => null },
        (journal) => (journal.emit("METRICS_TEST", null, {}), journal.transaction(async () => null)),
      );
      let after = await scrape(t, TOKEN);
      for (let i = 0; i < 100 && sample(after.text, "hub_event_delivered") !== head + 1; i++) after = await scrape(t, TOKEN);
      expect(sample(after.text, "hub_event_outbox_head")).toBe(head + 1);
      expect(sample(after.text, "hub_event_delivered")).toBe(head + 1);
      expect(sample(after.text, "hub_event_lag")).toBe(0);
      expect(sample(m.text, 'hub_db_pool_connections{state="idle"}')).toBeGreaterThanOrEqual(0);
      expect(sample(m.text, "hub_db_pool_waiting")).toBe(0);
      expect(sample(m.text, "hub_access_log_queue")).toBeGreaterThanOrEqual(0);
      expect(m.text).toMatch(/^hub_process_resident_memory_bytes \d+/m);
      // nothing of a party: no ids, no keys, no tracking numbers
      expect(m.text).not.toContain(carrier.id);
      expect(m.text).not.toContain(carrier.key);
      expect(m.text).not.toContain("NOPE123");
    } finally {
      sub.dispose();
      await ws.dispose();
    }
  });

  it("keeps operation labels bounded: no name is _anonymous, a name that is not a GraphQL name _other", async () => {
    await post(t, carrier.key, { query: "{ me { role } }" });
    await post(t, carrier.key, { query: "{ me { role } }", operationName: 'x"} 1\nfake_metric 2' });
    const m = await scrape(t, TOKEN);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="_anonymous",type="query",code="OK",transport="http"}')).toBe(1);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="_other",type="unknown",code="BAD_USER_INPUT",transport="http"}')).toBe(1);
    expect(m.text).not.toMatch(/^fake_metric/m);
  });

  it("answers /metrics only to the bearer of HUB_METRICS_TOKEN", async () => {
    expect((await scrape(t)).status).toBe(401);
    expect((await scrape(t, "wrong-token-0123456789")).status).toBe(401);
    expect((await scrape(t, carrier.key)).status).toBe(401);
  });

  it("logs one line per request: operation, party, role, duration, outcome; no secrets, no variables", async () => {
    mem.lines.length = 0;
    await post(t, carrier.key, {
      query: `query Track($tn: String!) { clearanceStatus(trackingNumber: $tn) { status } }`,
      variables: { tn: "SECRETVALUE42" },
      operationName: "Track",
    });
    await post(t, "lx_wrong_key_value", { query: "query Who { me { role } }", operationName: "Who" });
    const lines = mem.requests();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: "request",
      transport: "http",
      operation: "Track",
      type: "query",
      partyId: carrier.id,
      role: "AGENT",
      apiKeyId: carrier.principal.apiKeyId,
      code: "NOT_FOUND",
      status: 200,
    });
    expect(typeof lines[0].durationMs).toBe("number");
    expect(lines[0].durationMs).toBeGreaterThan(0);
    expect(lines[1]).toMatchObject({ operation: "Who", partyId: null, role: null, code: "UNAUTHENTICATED", status: 401 });
    const all = mem.lines.join("\n");
    expect(all).not.toContain("SECRETVALUE42");
    expect(all).not.toContain(carrier.key);
    expect(all).not.toContain("lx_wrong_key_value");
    expect(all).not.toContain("clearanceStatus(");
  });

  it("logs a request refused because the database does not answer as SERVICE_UNAVAILABLE 503", async () => {
    const limits = t.hub.services.rateLimits;
    const saved = limits.quotasFor;
    // the party's quotas cannot be read: as when PostgreSQL refuses connections
    limits.quotasFor = async () => {
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    };
    mem.lines.length = 0;
    try {
      const res = await post(t, carrier.key, { query: "query Who { me { role } }", operationName: "Who" });
      expect(res.status).toBe(503);
    } finally {
      limits.quotasFor = saved;
    }
    expect(mem.requests()).toEqual([expect.objectContaining({ operation: "Who", partyId: carrier.id, code: "SERVICE_UNAVAILABLE", status: 503 })]);
    const m = await scrape(t, TOKEN);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="Who",type="unknown",code="SERVICE_UNAVAILABLE",transport="http"}')).toBe(1);
  });
});

describe("requests refused before GraphQL, and operations over WebSocket", () => {
  let t: TestHub;
  let carrier: TestParty;
  const mem = memoryLog();
  const raw = (init: RequestInit, search = "") => fetch(t.server!.url + search, init).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_METRICS_TOKEN: TOKEN, HUB_BODY_LIMIT: "4kb" }, log: mem.log });
    carrier = await makeParty(t, "CARRIER", "FR", "Refusals Carrier");
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("logs and counts a body over the limit, JSON that does not parse, a CSRF refusal, a rate limit and an unknown key", async () => {
    mem.lines.length = 0;
    const json = { "content-type": "application/json" };
    const big = await raw({ method: "POST", headers: { ...json, authorization: `Bearer ${carrier.key}` }, body: JSON.stringify({ query: `{ me { role } } # ${"x".repeat(5000)}` }) });
    expect(big.status).toBe(413);
    const broken = await raw({ method: "POST", headers: { ...json, authorization: `Bearer ${carrier.key}` }, body: '{"query": "{ me {' });
    expect(broken.status).toBe(400);
    // a GET without a key nor a preflight header: refused by the CSRF rule before any context
    const csrf = await raw({ method: "GET" }, "?query=%7B__typename%7D");
    expect(csrf.status).toBe(400);
    const unknown = await raw({ method: "POST", headers: { ...json, authorization: "Bearer lux_unknown_key_0000000000000000" }, body: JSON.stringify({ query: "query Who { me { role } }", operationName: "Who" }) });
    expect(unknown.status).toBe(401);
    // a limit of 1 a minute: the second request is 429
    const operator = { partyId: t.hub.services.parties.operatorPartyId(), partyKind: "OPERATOR" as const, country: "ZZ", role: "OPERATOR" as const, apiKeyId: null };
    const slow = await makeParty(t, "BROKER", "FR", "Slow Broker");
    await t.hub.services.rateLimits.set(createContext(t.hub, operator), { partyId: slow.id, perMinute: 1 });
    const ask = () => raw({ method: "POST", headers: { ...json, authorization: `Bearer ${slow.key}` }, body: JSON.stringify({ query: "query Mine { me { role } }", operationName: "Mine" }) });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(429);

    const lines = mem.requests();
    expect(lines.map((l) => [l.code, l.status])).toEqual([
      ["QUERY_TOO_COMPLEX", 413],
      ["BAD_USER_INPUT", 400],
      ["BAD_USER_INPUT", 400],
      ["UNAUTHENTICATED", 401],
      ["OK", 200],
      ["RATE_LIMITED", 429],
    ]);
    expect(csrf.body.errors[0].message).toMatch(/CSRF/);
    expect(lines.every((l) => l.transport === "http" && typeof l.durationMs === "number")).toBe(true);
    expect(lines[5]).toMatchObject({ operation: "Mine", partyId: slow.id, role: slow.principal.role });
    expect(mem.lines.join("\n")).not.toContain(carrier.key);
    const m = await scrape(t, TOKEN);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="_anonymous",type="unknown",code="QUERY_TOO_COMPLEX",transport="http"}')).toBe(1);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="_anonymous",type="unknown",code="BAD_USER_INPUT",transport="http"}')).toBe(2); // JSON, CSRF
    expect(sample(m.text, 'hub_graphql_requests_total{operation="Who",type="unknown",code="UNAUTHENTICATED",transport="http"}')).toBe(1);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="Mine",type="unknown",code="RATE_LIMITED",transport="http"}')).toBe(1);
  });

  it("logs and counts each query and mutation sent on a socket, and each subscription's start and end", async () => {
    mem.lines.length = 0;
    const ws = wsClient(t, carrier.key);
    try {
      const query = await new Promise<any>((resolve, reject) => {
        let result: any;
        ws.subscribe({ query: "query SocketWho { me { role } }", operationName: "SocketWho" }, { next: (v) => (result = v), error: reject, complete: () => resolve(result) });
      });
      expect(query).toEqual({ data: { me: { role: "AGENT" } } });
      const refused = subscribe(ws, "subscription Bad { noSuchField }");
      await refused.waitFor(1);
      expect(refused.errors).toHaveLength(1);
      const sub = subscribe(ws, "subscription Held { holdPlaced { eventId } }");
      await waitFor(() => t.server!.wsLimits.subscriptions() === 1);
      sub.dispose();
      await waitFor(() => mem.requests().some((l) => l.event === "end"));
    } finally {
      await ws.dispose();
    }
    const lines = mem.requests();
    const common = { transport: "ws", partyId: carrier.id, role: "AGENT", apiKeyId: carrier.principal.apiKeyId };
    expect(lines).toEqual([
      expect.objectContaining({ ...common, operation: "SocketWho", type: "query", code: "OK" }),
      expect.objectContaining({ ...common, type: "unknown", code: "BAD_USER_INPUT" }),
      expect.objectContaining({ ...common, operation: "Held", type: "subscription", event: "start", code: "OK" }),
      expect.objectContaining({ ...common, operation: "Held", type: "subscription", event: "end", code: "OK" }),
    ]);
    expect(lines.every((l) => typeof l.durationMs === "number" && l.status === undefined)).toBe(true);
    expect(lines[3].durationMs).toBeGreaterThanOrEqual(lines[2].durationMs);
    const m = await scrape(t, TOKEN);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="SocketWho",type="query",code="OK",transport="ws"}')).toBe(1);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="_anonymous",type="unknown",code="BAD_USER_INPUT",transport="ws"}')).toBe(1);
    expect(sample(m.text, 'hub_graphql_requests_total{operation="Held",type="subscription",code="OK",transport="ws"}')).toBe(1);
    expect(sample(m.text, 'hub_ws_subscriptions_ended_total{operation="Held",code="OK"}')).toBe(1);
  });
});

describe("metrics and request log off", () => {
  let t: TestHub;
  const mem = memoryLog();
  beforeAll(async () => {
    t = await startTestHub({ env: { HUB_METRICS: "off", HUB_REQUEST_LOG: "off", HUB_METRICS_TOKEN: TOKEN }, log: mem.log });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("HUB_METRICS=off: no /metrics; HUB_REQUEST_LOG=off: no request lines", async () => {
    const p = await makeParty(t, "PLATFORM", "IE", "Quiet Shop");
    expect((await post(t, p.key, { query: "{ me { role } }" })).status).toBe(200);
    expect((await scrape(t, TOKEN)).status).toBe(404);
    expect(mem.requests()).toEqual([]);
  });
});

describe("metrics without a token", () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("are not published: /metrics is 404 until HUB_METRICS_TOKEN is set", async () => {
    const m = await scrape(t);
    expect(m.status).toBe(404);
    expect(m.text).toMatch(/HUB_METRICS_TOKEN/);
  });
});

async function waitFor(ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}
