/** Webhooks: signed, masked per party, retried, replayable, and guarded against SSRF. Receivers listen on 127.0.0.1 only. */
import "reflect-metadata";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { createContext } from "../../src/context/context";
import type { Declaration } from "../../src/generated/prisma/client";
import { WebhookWorker } from "../../src/modules/webhooks/webhook.worker";
import { SsrfGuard, type Resolver } from "../../src/modules/webhooks/webhook.ssrf";
import { verifySignature } from "../../src/modules/webhooks/webhook.signing";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "../testkit/hub";

const ENV = {
  HUB_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
  HUB_WEBHOOK_POLL_MS: "50",
  HUB_WEBHOOK_BACKOFF_BASE_MS: "150",
  HUB_WEBHOOK_BACKOFF_MAX_MS: "600",
  HUB_WEBHOOK_CONNECT_TIMEOUT_MS: "1000",
  HUB_WEBHOOK_TIMEOUT_MS: "2000",
  HUB_EVENT_POLL_MS: "100",
};

/** A fake DNS: the tests never resolve a real name. A list of answers is used in turn (the last one sticks). */
function fakeDns(names: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const answers = names[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    const address = answers.length > 1 ? answers.shift()! : answers[0];
    return [{ address, family: address.includes(":") ? 6 : 4 }];
  };
  return Object.assign(resolve, { asked });
}

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A receiver on 127.0.0.1: answers `status`, can go down and come back on the same port. */
async function receiver() {
  const got: Received[] = [];
  let status = 200;
  let port = 0;
  let server: http.Server;
  const open = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
          got.push({ path: req.url!, headers: req.headers, body, status });
          res.statusCode = status;
          res.end(status < 300 ? "thanks" : "receiver broke");
        });
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    got,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    at: (path: string) => got.filter((r) => r.path === path),
    answer(code: number) {
      status = code;
    },
    down: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    up: open,
  };
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

const REGISTER = `mutation($input: RegisterWebhookInput!, $key: String) {
  registerWebhook(input: $input, idempotencyKey: $key) { secret endpoint { id url eventTypes enabled lastEventId documents { eventType query } } }
}`;
const DELIVERIES = `query($id: ID!) {
  webhookDeliveries(endpointId: $id) { id eventId eventType status attempts lastStatusCode lastError lastAttemptAt nextAttemptAt deliveredAt replays }
}`;
const REPLAY = `mutation($id: ID!, $delivery: ID, $after: ID) {
  replayWebhookDeliveries(endpointId: $id, deliveryId: $delivery, afterEventId: $after) { requeued }
}`;

describe("webhooks", () => {
  let t: TestHub;
  let worker: WebhookWorker;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let platform: TestParty, carrier: TestParty, customs: TestParty, stranger: TestParty;
  const dns = fakeDns({
    "hooks.partner.example": ["93.184.216.34"],
    "internal.partner.example": ["10.1.2.3"],
    "rebind.partner.example": ["93.184.216.34"],
  });

  const file = async (over: Record<string, unknown> = {}) =>
    (await t.hub.services.declarations.fileOne(createContext(t.hub, platform.principal), declarationInput({ carrierId: carrier.id, platformId: platform.id, ...over }) as never))
      .declaration as Declaration;
  const hold = (d: Declaration, kind = "RFI") =>
    t.hub.services.workflow.placeHold(createContext(t.hub, customs.principal), d.id, { kind, reason: "check the invoice" } as never);
  const register = async (who: TestParty, input: Record<string, unknown>, key?: string) => {
    const res = await t.http(who.key, REGISTER, { input, key });
    return res.body;
  };
  const registered = async (who: TestParty, input: Record<string, unknown>) => {
    const body = await register(who, input);
    expect(body.errors).toBeUndefined();
    return body.data.registerWebhook as { secret: string; endpoint: { id: string; lastEventId: string } };
  };
  const log = async (who: TestParty, id: string) => {
    const res = await t.http(who.key, DELIVERIES, { id });
    return res.body.data?.webhookDeliveries as any[];
  };

  beforeAll(async () => {
    t = await startTestHub({ env: ENV });
    t.hub.services.webhooks.guard.resolver = dns;
    platform = await makeParty(t, "PLATFORM", "IE", "Platform");
    carrier = await makeParty(t, "CARRIER", "NL", "Carrier");
    customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    stranger = await makeParty(t, "CARRIER", "FR", "Stranger");
    rx = await receiver();
    worker = new WebhookWorker(t.hub, t.schema);
    worker.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await rx?.down();
    await t?.stop();
  });

  it("delivers each event signed, with the body masked for the endpoint's party; a party that may not hear it gets nothing", async () => {
    const p = await registered(platform, { url: rx.url("/platform"), eventTypes: ["HOLD_PLACED"] });
    const c = await registered(carrier, { url: rx.url("/carrier"), eventTypes: ["HOLD_PLACED"] });
    const s = await registered(stranger, { url: rx.url("/stranger"), eventTypes: ["HOLD_PLACED"] });
    expect(p.secret).toMatch(/^whsec_/);
    const d = await file();
    await hold(d);
    const [toPlatform] = await waitUntil("the platform's endpoint hears the hold", () => rx.at("/platform").length > 0 && rx.at("/platform"));
    const [toCarrier] = await waitUntil("the carrier's endpoint hears the hold", () => rx.at("/carrier").length > 0 && rx.at("/carrier"));

    // signed over "<t>.<body>" with the secret shown at registration, and only with it
    expect(verifySignature(p.secret, toPlatform.headers["luxor-signature"] as string, toPlatform.body)).toEqual({ ok: true, timestamp: expect.any(Number) });
    expect(verifySignature(c.secret, toPlatform.headers["luxor-signature"] as string, toPlatform.body)).toMatchObject({ ok: false });
    expect(verifySignature(p.secret, toPlatform.headers["luxor-signature"] as string, toPlatform.body.replace("RFI", "INSPECTION"))).toMatchObject({ ok: false });
    expect(verifySignature(c.secret, toCarrier.headers["luxor-signature"] as string, toCarrier.body)).toMatchObject({ ok: true });

    // the platform reads its order id and tracking number
    const platformBody = JSON.parse(toPlatform.body);
    expect(platformBody).toEqual({
      eventId: toPlatform.headers["luxor-event-id"],
      eventType: "HOLD_PLACED",
      data: {
        holdPlaced: {
          eventId: toPlatform.headers["luxor-event-id"],
          at: expect.any(String),
          declarationId: d.id,
          kind: "RFI",
          declaration: { trackingNumber: d.trackingNumber, platformOrderId: d.platformOrderId, status: "RFI" },
        },
      },
    });
    // the carrier reads the tracking number, not the order id: as over a WebSocket
    const carrierBody = JSON.parse(toCarrier.body);
    expect(carrierBody.data.holdPlaced.declaration).toEqual({ trackingNumber: d.trackingNumber, platformOrderId: null, status: "RFI" });
    expect(carrierBody.errors.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([["holdPlaced.declaration.platformOrderId", "FORBIDDEN"]]);
    expect(toCarrier.headers["luxor-event-type"]).toBe("HOLD_PLACED");

    // the delivery log
    const [entry] = await waitUntil("the platform's log shows the delivery", async () => {
      const l = await log(platform, p.endpoint.id);
      return l[0]?.status === "DELIVERED" && l;
    });
    expect(entry).toMatchObject({ id: toPlatform.headers["luxor-delivery-id"], eventId: platformBody.eventId, attempts: 1, lastStatusCode: 200, nextAttemptAt: null, replays: 0 });
    expect(entry.deliveredAt).not.toBeNull();

    // a stranger's endpoint: no request, no log entry; and no one else reads another's log
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.at("/stranger")).toEqual([]);
    expect(await log(stranger, s.endpoint.id)).toEqual([]);
    const foreign = await t.http(stranger.key, DELIVERIES, { id: p.endpoint.id });
    expect(foreign.body.errors[0].extensions.code).toBe("NOT_FOUND");
    const list = await t.http(stranger.key, `{ webhooks { id } }`);
    expect(list.body.data.webhooks).toEqual([{ id: s.endpoint.id }]);
  });

  it("retries with backoff while the receiver answers 500 or is down, then delivers everything once it is back", async () => {
    const path = "/flaky";
    const ep = await registered(platform, { url: rx.url(path), eventTypes: ["HOLD_PLACED", "DECLARATION_STATUS_CHANGED"] });
    rx.answer(500);
    const d1 = await file();
    await hold(d1); // HOLD_PLACED and STATUS_CHANGED FILED -> RFI
    // A delivery being attempted shows its lease as nextAttemptAt (claimDue: HUB_WEBHOOK_TIMEOUT_MS
    // + 30 s after the claim), not its backoff: wait for a moment when neither is in flight.
    const inFlight = (x: any) => Date.parse(x.nextAttemptAt) - Date.parse(x.lastAttemptAt) >= 30_000;
    const failing = await waitUntil("two failed attempts each, none in flight", async () => {
      const l = await log(platform, ep.endpoint.id);
      return l.length === 2 && l.every((x) => x.attempts >= 2 && !inFlight(x)) && l;
    });
    for (const x of failing) {
      expect(x).toMatchObject({ status: "PENDING", lastStatusCode: 500 });
      expect(x.lastError).toContain("HTTP 500: receiver broke");
      const wait = Date.parse(x.nextAttemptAt) - Date.parse(x.lastAttemptAt);
      // exponential with jitter: between half and all of min(cap, base * 2^(attempts-1))
      const ceiling = Math.min(600, 150 * 2 ** (x.attempts - 1));
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2 - 2);
      expect(wait).toBeLessThanOrEqual(ceiling + 2);
    }
    // now down altogether; more events while it is
    await rx.down();
    const d2 = await file();
    await hold(d2, "DO_NOT_LOAD");
    await waitUntil("an attempt finds the receiver down", async () => {
      const l = await log(platform, ep.endpoint.id);
      return l.some((x) => x.lastError?.includes("connection refused")) && l;
    });
    rx.answer(200);
    await rx.up();
    const all = await waitUntil("everything delivered once it is back", async () => {
      const l = await log(platform, ep.endpoint.id);
      return l.length === 4 && l.every((x) => x.status === "DELIVERED") && l;
    });
    const delivered = new Set(rx.at(path).filter((r) => r.status === 200).map((r) => r.headers["luxor-event-id"]));
    expect([...delivered].sort()).toEqual(all.map((x) => x.eventId).sort());
    expect(all.map((x) => x.eventType).sort()).toEqual(["DECLARATION_STATUS_CHANGED", "DECLARATION_STATUS_CHANGED", "HOLD_PLACED", "HOLD_PLACED"]);
    // each retry carried a fresh signature and the attempt number
    const attempts = rx.at(path).filter((r) => r.headers["luxor-event-id"] === all[all.length - 1].eventId).map((r) => r.headers["luxor-delivery-attempt"]);
    expect(attempts[0]).toBe("1");
  });

  it("replays one delivery, or every event after an event id", async () => {
    const path = "/replay";
    const ep = await registered(platform, { url: rx.url(path), eventTypes: ["HOLD_PLACED"] });
    const d1 = await file();
    await hold(d1);
    const d2 = await file();
    await hold(d2);
    const done = await waitUntil("two deliveries", async () => {
      const l = await log(platform, ep.endpoint.id);
      return l.length === 2 && l.every((x) => x.status === "DELIVERED") && l;
    });
    const [newer, older] = done;
    const one = await t.http(platform.key, REPLAY, { id: ep.endpoint.id, delivery: older.id });
    expect(one.body.data.replayWebhookDeliveries.requeued).toBe(1);
    await waitUntil("the replay arrives", () => rx.at(path).filter((r) => r.headers["luxor-delivery-id"] === older.id).length === 2);
    const replayed = (await log(platform, ep.endpoint.id)).find((x) => x.id === older.id);
    expect(replayed).toMatchObject({ status: "DELIVERED", attempts: 2, replays: 1 });

    // everything after the endpoint's start: both again
    const before = rx.at(path).length;
    const after = await t.http(platform.key, REPLAY, { id: ep.endpoint.id, after: ep.endpoint.lastEventId });
    expect(after.body.data.replayWebhookDeliveries.requeued).toBe(2);
    await waitUntil("both again", () => rx.at(path).length === before + 2);
    expect(rx.at(path).slice(before).map((r) => r.headers["luxor-event-id"]).sort()).toEqual([newer.eventId, older.eventId].sort());

    // only the owner replays; exactly one of the two ways
    const foreign = await t.http(stranger.key, REPLAY, { id: ep.endpoint.id, delivery: older.id });
    expect(foreign.body.errors[0].extensions.code).toBe("NOT_FOUND");
    const both = await t.http(platform.key, REPLAY, { id: ep.endpoint.id });
    expect(both.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  });

  it("refuses at registration what is not a public https address, naming input.url and why", async () => {
    const cases: [string, string][] = [
      ["https://10.0.0.1/hook", "a private address"],
      ["https://127.0.0.2/hook", "a loopback address"],
      ["https://0x7f.0.0.2/hook", "127.0.0.2 is a loopback address"],
      ["https://[::1]/hook", "a loopback address"],
      ["https://localhost/hook", "loopback"],
      ["https://169.254.169.254/latest/meta-data/", "a cloud metadata address"],
      ["https://[fd00:ec2::254]/", "a cloud metadata address"],
      ["https://[::ffff:10.0.0.1]/hook", "a private address"],
      ["https://[::ffff:169.254.169.254]/hook", "a cloud metadata address"],
      ["https://100.64.0.1/hook", "carrier-grade NAT"],
      ["https://0.0.0.0/hook", "unspecified"],
      ["https://224.0.0.1/hook", "multicast"],
      ["https://[fe80::1]/hook", "link-local"],
      ["https://internal.partner.example/hook", "resolves to 10.1.2.3, a private address"],
      ["https://nowhere.partner.example/hook", "does not resolve (ENOTFOUND)"],
      ["http://hooks.partner.example/hook", "must be an https URL"],
      ["ftp://hooks.partner.example/hook", "must be an https URL"],
      ["https://user:pw@hooks.partner.example/hook", "user name or password"],
    ];
    for (const [url, why] of cases) {
      const body = await register(platform, { url, eventTypes: ["HOLD_PLACED"] });
      expect({ url, code: body.errors?.[0]?.extensions?.code }).toEqual({ url, code: "BAD_USER_INPUT" });
      expect({ url, problems: body.errors[0].extensions.problems }).toEqual({ url, problems: [{ path: "input.url", message: expect.stringContaining(why) }] });
    }
    // a public name is accepted (nothing is sent to it here)
    const ok = await registered(platform, { url: "https://hooks.partner.example/hook", eventTypes: ["HOLD_PLACED"] });
    await t.http(platform.key, `mutation($id: ID!) { deleteWebhook(id: $id) { deletedAt } }`, { id: ok.endpoint.id });
    // without the allow-list, the tests' own 127.0.0.1 is loopback like any other
    const strict = new SsrfGuard("", dns);
    await expect(strict.target(rx.url("/x"))).rejects.toThrow("must be an https URL");
    await expect(strict.target("https://127.0.0.1/x")).rejects.toThrow("127.0.0.1 is a loopback address");
    await expect(strict.target("https://[::ffff:127.0.0.1]/x")).rejects.toThrow("a loopback address");
    await expect(strict.target("https://[64:ff9b::a00:1]/x")).rejects.toThrow("embedding an IPv4");
    await expect(strict.target("https://[2002:a00:1::1]/x")).rejects.toThrow("embedding an IPv4");
    await expect(strict.target("https://[::a00:1]/x")).rejects.toThrow("not a global unicast address");
    await expect(strict.target("https://93.184.216.34/x")).resolves.toMatchObject({ address: "93.184.216.34" });
    await expect(strict.target("https://[2606:4700::1111]/x")).resolves.toMatchObject({ family: 6 });
    // a name server that never answers holds nothing up
    const silent = new SsrfGuard("", () => new Promise(() => {}), 50);
    await expect(silent.target("https://slow.partner.example/x")).rejects.toThrow("does not resolve (no answer within 50 ms)");
  });

  it("checks the address again at each delivery: a name that now resolves to a private address is refused before connecting", async () => {
    const ep = await registered(platform, { url: "https://rebind.partner.example/hook", eventTypes: ["HOLD_PLACED"] });
    // from here the name answers only the private address: the public one, accepted at
    // registration, can never be dialled, however many times the name is looked up
    const rebound = fakeDns({ "rebind.partner.example": ["10.0.0.7"] });
    t.hub.services.webhooks.guard.resolver = rebound;
    try {
      await hold(await file());
      const [entry] = await waitUntil("a refused attempt", async () => {
        const l = await log(platform, ep.endpoint.id);
        return l[0]?.attempts >= 1 && l;
      });
      expect(entry.status).toBe("PENDING"); // retried: the name may resolve to a public address again
      expect(entry.lastStatusCode).toBeNull();
      expect(entry.lastError).toContain("refused before connecting: host rebind.partner.example resolves to 10.0.0.7, a private address");
      expect(rebound.asked).toContain("rebind.partner.example");
    } finally {
      t.hub.services.webhooks.guard.resolver = dns;
    }
    await t.http(platform.key, `mutation($id: ID!) { deleteWebhook(id: $id) { id } }`, { id: ep.endpoint.id });
    const after = await log(platform, ep.endpoint.id);
    expect(after[0]).toMatchObject({ status: "CANCELLED", lastError: "not sent: the endpoint was deleted" });
  });

  it("validates documents against the schema and the query limits; stops when the registering key is revoked", async () => {
    const deep = `subscription { holdPlaced { declaration { carrier { id } holds { id } goodsItems { id } } } }`;
    const good = await registered(carrier, { url: rx.url("/custom"), eventTypes: ["HOLD_PLACED"], documents: [{ eventType: "HOLD_PLACED", query: deep }] });
    expect(good.endpoint.id).toBeTruthy();
    const bad = [
      ["subscription { declarationStatusChanged { eventId } }", "must select exactly the field holdPlaced"],
      ["subscription { holdPlaced { nope } }", 'Cannot query field "nope"'],
      ["query { me { role } }", "must be exactly one subscription operation"],
      ["subscription($a: ID) { holdPlaced(after: $a) { eventId } }", "must not declare variables"],
      [`subscription { holdPlaced { ${"declaration { carrier { id } } ".repeat(1)}${Array.from({ length: 40 }, (_, i) => `a${i}: eventId`).join(" ")} } }`, "Aliases limit of 30 exceeded"],
    ];
    for (const [query, why] of bad) {
      const body = await register(carrier, { url: rx.url("/x"), eventTypes: ["HOLD_PLACED"], documents: [{ eventType: "HOLD_PLACED", query }] });
      expect({ query, problem: body.errors?.[0]?.extensions?.problems?.[0] }).toEqual({ query, problem: { path: "input.documents[0].query", message: expect.stringContaining(why) } });
    }

    // an endpoint registered with a key hears with it; revoked, the endpoint is disabled
    const secondKey = await t.hub.services.parties.issueKey(carrier.id, "AGENT", "second");
    const second = { ...carrier, key: secondKey };
    const ep = await registered(second, { url: rx.url("/revoked"), eventTypes: ["HOLD_PLACED"] });
    const me = await t.http(secondKey, `{ me { apiKeyId } }`);
    await t.http(secondKey, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: me.body.data.me.apiKeyId });
    await hold(await file());
    const disabled = await waitUntil("the endpoint is disabled", async () => {
      const res = await t.http(carrier.key, `{ webhooks { id enabled disabledReason } }`);
      const e = res.body.data.webhooks.find((w: any) => w.id === ep.endpoint.id);
      return e && !e.enabled && e;
    });
    expect(disabled.disabledReason).toContain("was revoked");
    await waitUntil("the custom document is delivered", () => rx.at("/custom").length === 1);
    expect(JSON.parse(rx.at("/custom")[0].body).data.holdPlaced.declaration.carrier).toEqual({ id: carrier.id });
    expect(rx.at("/revoked")).toEqual([]);
  });

  it("connects to the address checked, with the URL's host as TLS server name (pinned: no second lookup)", async () => {
    // a TCP listener on 127.0.0.1 that records the TLS ClientHello (its SNI is in clear) and hangs up
    const hellos: Buffer[] = [];
    const tcp = net.createServer((socket) => socket.once("data", (b) => (hellos.push(b), socket.destroy())));
    await new Promise<void>((r) => tcp.listen(0, "127.0.0.1", r));
    const port = (tcp.address() as AddressInfo).port;
    try {
      t.hub.services.webhooks.guard.resolver = fakeDns({ "pinned.partner.example": ["127.0.0.1"] });
      const ep = await registered(platform, { url: `https://pinned.partner.example:${port}/hook`, eventTypes: ["HOLD_PLACED"] });
      await hold(await file());
      const [entry] = await waitUntil("an attempt", async () => {
        const l = await log(platform, ep.endpoint.id);
        return l[0]?.attempts >= 1 && l;
      });
      expect(hellos.length).toBeGreaterThanOrEqual(1);
      expect(hellos[0].includes(Buffer.from("pinned.partner.example"))).toBe(true);
      expect(entry.lastError).not.toMatch(/resolve|ENOTFOUND/);
      await t.http(platform.key, `mutation($id: ID!) { deleteWebhook(id: $id) { id } }`, { id: ep.endpoint.id });
    } finally {
      t.hub.services.webhooks.guard.resolver = dns;
      await new Promise((r) => tcp.close(r));
    }
  });

  it("resumes after a restart: events committed while no worker ran, and deliveries left pending, all arrive", async () => {
    const ep = await registered(platform, { url: rx.url("/restart"), eventTypes: ["HOLD_PLACED"] });
    await worker.stop(); // the hub is down
    await hold(await file());
    await hold(await file());
    expect(await log(platform, ep.endpoint.id)).toEqual([]);
    worker = new WebhookWorker(t.hub, t.schema); // and up again
    worker.start();
    await waitUntil("both delivered", async () => (await log(platform, ep.endpoint.id)).filter((x) => x.status === "DELIVERED").length === 2);
    expect(rx.at("/restart")).toHaveLength(2);
    // a delivery claimed by an instance that died mid-send is due again when its lease ends
    await worker.stop();
    await hold(await file());
    const dead = new WebhookWorker(t.hub, t.schema);
    await dead.fanOut();
    const repo = t.hub.services.webhooks.repo;
    const batch = await repo.claimDue(new Date(), new Date(Date.now() + 60_000), 100); // ... and died
    const claimed = batch.find((x) => x.endpointId === ep.endpoint.id)!;
    expect(claimed).toBeDefined();
    await repo.release(batch.filter((x) => x !== claimed).map((x) => x.id), new Date()); // (other endpoints' deliveries: not this test's)
    worker = new WebhookWorker(t.hub, t.schema);
    worker.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.at("/restart")).toHaveLength(2); // another instance leaves it alone while the lease lasts
    await t.db.prisma.webhookDelivery.update({ where: { id: claimed.id }, data: { nextAttemptAt: new Date() } }); // the lease ends
    await waitUntil("the third delivered", () => rx.at("/restart").length === 3);
  });

  it("answers a retried registration with the same endpoint and secret (idempotencyKey)", async () => {
    const input = { url: rx.url("/idem"), eventTypes: ["DECLARATION_STATUS_CHANGED"], secret: "s".repeat(40) };
    const first = await register(platform, input, "register-idem-1");
    const again = await register(platform, input, "register-idem-1");
    expect(again.data.registerWebhook).toEqual(first.data.registerWebhook);
    expect(first.data.registerWebhook.secret).toBe("s".repeat(40));
    const other = await register(platform, { ...input, url: rx.url("/idem2") }, "register-idem-1");
    expect(other.errors[0].extensions.code).toBe("CONFLICT");
    const endpoints = await t.db.prisma.webhookEndpoint.count({ where: { url: rx.url("/idem") } });
    expect(endpoints).toBe(1);
    const short = await register(platform, { ...input, secret: "too-short" });
    expect(short.errors[0].extensions.problems).toEqual([{ path: "input.secret", message: expect.stringContaining("32 to 200") }]);
  });
});

const onPostgres = process.env.TEST_DB === "postgres" ? describe : describe.skip;
onPostgres("two hub instances on one PostgreSQL", () => {
  it("share the deliveries: each event reaches the endpoint once", async () => {
    const a = await startTestHub({ env: ENV, http: true });
    const b = await startTestHub({ env: ENV, http: false, sameDatabaseAs: a });
    const rx = await receiver();
    const workers = [new WebhookWorker(a.hub, a.schema), new WebhookWorker(b.hub, b.schema)];
    try {
      const platform = await makeParty(a, "PLATFORM", "IE", "Platform");
      const customs = await makeParty(a, "CUSTOMS", "DE", "Zoll");
      const res = await a.http(platform.key, REGISTER, { input: { url: rx.url("/both"), eventTypes: ["HOLD_PLACED"] } });
      expect(res.body.errors).toBeUndefined();
      workers.forEach((w) => w.start());
      for (let i = 0; i < 10; i++) {
        const d = (await a.hub.services.declarations.fileOne(createContext(a.hub, platform.principal), declarationInput() as never)).declaration;
        await a.hub.services.workflow.placeHold(createContext(a.hub, customs.principal), d.id, { kind: "RFI", reason: "x" } as never);
      }
      await waitUntil("ten deliveries", () => rx.at("/both").length >= 10);
      await new Promise((r) => setTimeout(r, 500));
      const ids = rx.at("/both").map((r) => r.headers["luxor-event-id"]);
      expect(ids).toHaveLength(10);
      expect(new Set(ids).size).toBe(10);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await rx.down();
      await b.stop();
      await a.stop();
    }
  });
});
