import type { GraphQLSchema } from "graphql";
import { CATEGORY_BIT } from "../../authz/categories";
import type { Policy } from "../../authz/policy";
import type { Principal } from "../../authz/principal";
import { createContext } from "../../context/context";
import type { Hub } from "../../hub";
import { createErrorFormatter } from "../../server/errors";
import type { FeedEvent } from "../events/event-feed";
import { audienceKey } from "../events/event-router";
import { mayHear } from "../notifications/notifications.service";
import { EVENT_TYPES, renderEvent, webhookTypeOf } from "./webhook.documents";
import type { DeliveryRow, EndpointRow, NewDelivery, WebhookRepository } from "./webhook.repository";
import { postPinned, type SendOutcome } from "./webhook.sender";
import { ATTEMPT_HEADER, DELIVERY_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from "./webhook.signing";
import { SsrfRefusal } from "./webhook.ssrf";
import type { WebhookService } from "./webhook.service";
import { WebhookEventType } from "./webhook.types";

/** Endpoints advanced per fan-out round. */
const ENDPOINTS_PER_ROUND = 200;
/** Deliveries sent to one endpoint at the same time, at most. */
const PER_ENDPOINT = 4;
/** The most of a receiver's answer read, for the delivery log. */
const MAX_RESPONSE_BYTES = 4096;

/**
 * Delivers webhooks; one runs in every hub instance, safely beside the others.
 *
 * 1. Fan-out: each endpoint follows the outbox with its own persisted cursor. The events
 *    after it are read once for all endpoints behind (with their declarations and holds),
 *    and for each endpoint those of its types and filters that its party may hear (the
 *    subscriptions' decision, once per event and (party, role)) become WebhookDelivery
 *    rows, in the same transaction that moves its cursor (only if no other instance moved
 *    it meanwhile; one delivery per endpoint and event at most).
 * 2. Delivery: due deliveries are claimed with FOR UPDATE SKIP LOCKED under a lease, the
 *    event is authorized again and rendered (webhook.documents.ts), signed, and POSTed to
 *    the address checked after resolution (webhook.ssrf.ts, webhook.sender.ts). A 2xx
 *    delivers; anything else is retried with exponential backoff and jitter, capped, until
 *    HUB_WEBHOOK_MAX_ATTEMPTS or HUB_WEBHOOK_MAX_AGE_SECONDS, then FAILED. A success after
 *    failures makes the endpoint's other waiting deliveries due at once.
 *
 * Woken by the event feed (every instance's, after any write) and every HUB_WEBHOOK_POLL_MS.
 * No failure escapes: a database outage is logged once when it begins and once when it ends.
 */
export class WebhookWorker {
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => void) | undefined;
  /** rounds of fan-out then delivery (running them apart made retry timing racy: see the README) */
  private readonly rounds = this.repeating(() => this.runOnce());
  private started = false;
  /** set by stop(): rounds end early */
  private halted = false;
  private failing = false;
  private readonly inFlight = new Map<string, AbortController>();
  /** endpoints with a failed attempt here: their next success makes their waiting deliveries due at once */
  private readonly recovering = new Set<string>();
  private readonly repo: WebhookRepository;
  private readonly formatError;

  constructor(
    private readonly hub: Hub,
    private readonly schema: GraphQLSchema,
    private readonly service: WebhookService = hub.services.webhooks,
  ) {
    this.repo = service.repo;
    this.formatError = createErrorFormatter(hub.log, hub.config.isDevelopment);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.halted = false;
    this.unlisten = this.hub.feed.listen(() => this.kick());
    this.hub.feed.start().catch((err: unknown) => this.hub.log.warn({ err }, "webhooks: the event feed did not start; polling instead"));
    this.timer = setInterval(() => this.kick(), this.hub.config.HUB_WEBHOOK_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Stops taking work, cuts sends in flight short (they are due again at once) and waits for the round. */
  async stop(): Promise<void> {
    this.started = false;
    this.halted = true;
    if (this.timer) clearInterval(this.timer);
    this.unlisten?.();
    for (const c of this.inFlight.values()) c.abort();
    await this.rounds.running();
  }

  /** Runs a round now (or right after the one running). */
  kick(): void {
    if (!this.started) return;
    this.rounds.kick();
  }

  /** One round for tests and scripts: fan out, then deliver what is due. */
  async runOnce(): Promise<void> {
    let failed: unknown = null;
    await this.fanOut().catch((err: unknown) => (failed = err)); // what is due still goes out
    await this.deliverDue();
    if (failed) throw failed;
  }

  /** A step that runs again while kicked meanwhile; a failure is logged once and retried at the next poll. */
  private repeating(step: () => Promise<void>): { kick(): void; running(): Promise<void> | null } {
    let running: Promise<void> | null = null;
    let again = false;
    const loop = async () => {
      do {
        again = false;
        try {
          await step();
          if (this.failing) this.hub.log.info("webhooks: the database answers again; delivering");
          this.failing = false;
        } catch (err) {
          if (!this.failing) this.hub.log.warn({ err: err instanceof Error ? err.message : String(err) }, "webhooks: a round failed (is the database reachable?); retrying every poll");
          this.failing = true;
          return;
        }
      } while (again && this.started);
    };
    return {
      kick: () => {
        if (running) {
          again = true;
          return;
        }
        running = loop().finally(() => (running = null));
      },
      running: () => running,
    };
  }

  /** Turns new outbox events into deliveries, for every endpoint behind; true when it added any. */
  async fanOut(): Promise<boolean> {
    let added = false;
    for (let round = 0; round < 20 && !this.halted; round++) {
      const latest = await this.repo.latestSeq();
      const endpoints = await this.repo.endpointsBehind(latest, ENDPOINTS_PER_ROUND);
      if (!endpoints.length) return added;
      const from = endpoints.reduce((m, e) => (e.cursorSeq < m ? e.cursorSeq : m), latest);
      const events = await this.hub.feed.page(from, latest);
      // a full page may stop short of `latest`: the endpoints move to its last event
      const upTo = events.length >= 500 ? events[events.length - 1].seq : latest;
      const principals = await this.principals(endpoints);
      const policies = new Map<string, Promise<Policy>>(); // per (party, role), agreements in force now
      for (const p of principals.values()) if (typeof p !== "string" && !policies.has(audienceKey(p))) policies.set(audienceKey(p), this.policyOf(p));
      await Promise.all(policies.values()); // read together, not one party after the other
      const moves: { id: string; from: bigint }[] = [];
      const deliveries: NewDelivery[] = [];
      const at = new Date();
      for (const endpoint of endpoints) {
        const principal = principals.get(endpoint.id)!;
        if (typeof principal === "string") {
          await this.repo.disable(endpoint.id, principal);
          continue;
        }
        moves.push({ id: endpoint.id, from: endpoint.cursorSeq });
        for (const e of events) {
          if (e.seq <= endpoint.cursorSeq || e.seq > upTo) continue;
          const type = webhookTypeOf(e.type);
          if (type && (await this.matches(endpoint, principal, policies, e, type))) deliveries.push({ endpointId: endpoint.id, eventSeq: e.seq, eventType: type, at });
        }
      }
      // every endpoint of the round in one transaction (two statements), not one per endpoint
      if ((await this.repo.advanceAll(moves, upTo, deliveries)).size && deliveries.length) added = true;
      if (upTo >= latest && endpoints.length < ENDPOINTS_PER_ROUND) return added;
    }
    return added;
  }

  /** Is `e` one for this endpoint: its types, its filters, and may its party hear it? */
  private async matches(endpoint: EndpointRow, principal: Principal, policies: Map<string, Promise<Policy>>, e: FeedEvent, type: WebhookEventType): Promise<boolean> {
    if (!endpoint.eventTypes.includes(type)) return false;
    if (endpoint.filterDeclarationId && e.declarationId !== endpoint.filterDeclarationId) return false;
    const d = e.declaration;
    if (!d) return false;
    const who = audienceKey(principal);
    let policy = policies.get(who);
    if (!policy) policies.set(who, (policy = this.policyOf(principal)));
    const p = await policy;
    let heard = e.decisions.get(who);
    if (heard === undefined) {
      heard = mayHear(p, e);
      e.decisions.set(who, heard);
    }
    if (!heard) return false;
    // a filter on the destination applies only where the party may read it (no oracle)
    if (endpoint.filterDestinations.length) {
      return (p.decide(d.filerId, d).mask & CATEGORY_BIT.TRANSPORT) !== 0 && endpoint.filterDestinations.includes(d.destinationCountry);
    }
    return true;
  }

  private policyOf(principal: Principal): Promise<Policy> {
    return createContext(this.hub, principal).authz.policy();
  }

  /** Each endpoint's principal (its key's party and role), or why there is none any more. */
  private async principals(endpoints: EndpointRow[]): Promise<Map<string, Principal | string>> {
    const [keys, parties] = await Promise.all([
      this.repo.keys([...new Set(endpoints.map((e) => e.apiKeyId))]),
      this.repo.parties([...new Set(endpoints.map((e) => e.partyId))]),
    ]);
    const keyOf = new Map(keys.map((k) => [k.id, k]));
    const partyOf = new Map(parties.map((p) => [p.id, p]));
    const out = new Map<string, Principal | string>();
    for (const e of endpoints) {
      const key = keyOf.get(e.apiKeyId);
      const party = partyOf.get(e.partyId);
      if (!key || !party || key.partyId !== party.id) out.set(e.id, "its API key no longer exists");
      else if (key.revokedAt) out.set(e.id, `its API key ${key.prefix}… was revoked at ${key.revokedAt.toISOString()}; update it with a valid key to hear events again`);
      else out.set(e.id, { partyId: party.id, partyKind: party.kind, country: party.country.trim(), role: key.role, apiKeyId: key.id });
    }
    return out;
  }

  /**
   * Claims due deliveries and attempts them, HUB_WEBHOOK_CONCURRENCY at a time overall and
   * at most PER_ENDPOINT at a time per endpoint (order within an endpoint is not promised:
   * eventId orders). Successes are settled together at the end of each claimed batch.
   */
  private async deliverDue(): Promise<void> {
    const { config } = this.hub;
    for (let round = 0; round < 50 && !this.halted; round++) {
      const now = new Date();
      const lease = new Date(now.getTime() + config.HUB_WEBHOOK_TIMEOUT_MS + 30_000);
      const batch = await this.repo.claimDue(now, lease, config.HUB_WEBHOOK_CONCURRENCY * 8);
      if (!batch.length) return;
      const endpoints = new Map((await this.repo.endpoints([...new Set(batch.map((d) => d.endpointId))])).map((e) => [e.id, e]));
      const principals = await this.principals([...endpoints.values()]);
      const events = new Map((await this.hub.feed.bySeq([...new Set(batch.map((d) => d.eventSeq))])).map((e) => [e.seq, e]));
      const queue = [...batch];
      const busy = new Map<string, number>();
      const delivered: Delivered[] = [];
      let failed: unknown = null;
      const take = () => {
        const i = queue.findIndex((d) => (busy.get(d.endpointId) ?? 0) < PER_ENDPOINT);
        return i < 0 ? undefined : queue.splice(i, 1)[0];
      };
      const worker = async () => {
        for (let d = take(); d && !failed; d = take()) {
          const id = d.endpointId;
          busy.set(id, (busy.get(id) ?? 0) + 1);
          // a failure here (the database gone mid-round) ends the round; the delivery is due again after its lease
          await this.attempt(d, endpoints.get(id)!, principals.get(id)!, events.get(d.eventSeq), delivered)
            .catch((err: unknown) => (failed ??= err))
            .finally(() => busy.set(id, busy.get(id)! - 1));
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.HUB_WEBHOOK_CONCURRENCY, batch.length) }, worker));
      await this.settleDelivered(delivered).catch((err: unknown) => (failed ??= err));
      if (this.halted || failed) await this.repo.release(queue.map((d) => d.id), new Date()).catch(() => {});
      if (failed) throw failed;
    }
  }

  /** Marks delivered what was; an endpoint that had failed gets its other waiting deliveries due now. */
  private async settleDelivered(delivered: Delivered[]): Promise<void> {
    if (!delivered.length) return;
    const at = new Date();
    await this.repo.settleDelivered(delivered, at);
    for (const endpointId of new Set(delivered.map((d) => d.endpointId))) {
      if (this.recovering.delete(endpointId)) await this.repo.pullForward(endpointId, at);
    }
  }

  private async attempt(d: DeliveryRow, endpoint: EndpointRow, principal: Principal | string, event: FeedEvent | undefined, delivered: Delivered[]): Promise<void> {
    if (this.halted) return;
    const now = new Date();
    if (typeof principal === "string") {
      await this.repo.disable(endpoint.id, principal);
      return this.repo.settle(d.id, { status: "CANCELLED", attempted: false, at: now, error: `not sent: ${principal}` });
    }
    if (!event) return this.repo.settle(d.id, { status: "FAILED", attempted: false, at: now, error: "the event is no longer kept (HUB_EVENT_RETENTION_DAYS)" });
    const type = d.eventType as WebhookEventType;
    const source = (endpoint.documents as Record<string, string>)[type];
    if (!source || !EVENT_TYPES[type]) return this.repo.settle(d.id, { status: "CANCELLED", attempted: false, at: now, error: `the endpoint no longer hears ${type}` });
    const rendered = await renderEvent(this.hub, this.schema, principal, event, type, source, this.formatError);
    if (!rendered.heard) {
      return this.repo.settle(d.id, { status: "CANCELLED", attempted: false, at: now, error: "not sent: the endpoint's party may no longer hear this event" });
    }
    const outcome = await this.send(d, endpoint, type, rendered.body);
    const at = new Date();
    if (outcome.ok) {
      if (d.attempts > 0) this.recovering.add(endpoint.id);
      delivered.push({ id: d.id, statusCode: outcome.statusCode ?? 200, endpointId: endpoint.id });
      return;
    }
    if (outcome.error === "the hub is shutting down") return this.repo.release([d.id], at);
    this.recovering.add(endpoint.id); // its next success pulls its waiting deliveries forward
    const attempts = d.attempts + 1;
    const { config } = this.hub;
    const next = new Date(at.getTime() + backoffMs(attempts, config.HUB_WEBHOOK_BACKOFF_BASE_MS, config.HUB_WEBHOOK_BACKOFF_MAX_MS));
    const tooOld = next.getTime() - d.scheduledAt.getTime() > config.HUB_WEBHOOK_MAX_AGE_SECONDS * 1000;
    const giveUp = attempts >= config.HUB_WEBHOOK_MAX_ATTEMPTS || tooOld;
    const why = giveUp ? ` (gave up: ${tooOld ? `older than ${config.HUB_WEBHOOK_MAX_AGE_SECONDS} s` : `${attempts} attempts`})` : "";
    await this.repo.settle(d.id, {
      status: giveUp ? "FAILED" : "PENDING",
      attempted: true,
      at,
      statusCode: outcome.statusCode,
      error: `${outcome.error}${why}`.slice(0, 1000),
      nextAttemptAt: giveUp ? undefined : next,
    });
  }

  /** Checks the URL after resolution, signs and POSTs; a refusal by the guard is a failed attempt. */
  private async send(d: DeliveryRow, endpoint: EndpointRow, type: WebhookEventType, body: string): Promise<SendOutcome> {
    const { config } = this.hub;
    let secret: string;
    try {
      secret = this.service.secrets.open(endpoint.secret);
    } catch (err) {
      return { ok: false, statusCode: null, error: (err as Error).message };
    }
    let target;
    try {
      target = await this.service.guard.target(endpoint.url);
    } catch (err) {
      if (err instanceof SsrfRefusal) return { ok: false, statusCode: null, error: `refused before connecting: ${err.message}` };
      throw err;
    }
    const controller = new AbortController();
    this.inFlight.set(d.id, controller);
    try {
      const headers = {
        "content-type": "application/json",
        "user-agent": "LuxorHub-Webhooks/1",
        [SIGNATURE_HEADER]: signatureHeader(secret, body),
        [DELIVERY_HEADER]: d.id,
        [EVENT_ID_HEADER]: String(d.eventSeq),
        [EVENT_TYPE_HEADER]: type,
        [ATTEMPT_HEADER]: String(d.attempts + 1),
      };
      return await postPinned(
        target,
        headers,
        body,
        { connectTimeoutMs: config.HUB_WEBHOOK_CONNECT_TIMEOUT_MS, totalTimeoutMs: config.HUB_WEBHOOK_TIMEOUT_MS, maxResponseBytes: MAX_RESPONSE_BYTES },
        controller.signal,
      );
    } finally {
      this.inFlight.delete(d.id);
    }
  }
}

/** Exponential backoff with equal jitter: between half and all of min(max, base * 2^(n-1)). */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** A successful attempt, settled with the others of its batch. */
interface Delivered {
  id: string;
  statusCode: number;
  endpointId: string;
}
