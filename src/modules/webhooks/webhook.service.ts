import type { GraphQLSchema } from "graphql";
import type { Config } from "../../config";
import { requirePrincipal, type HubContext } from "../../context/context";
import type { PrismaClient } from "../../generated/prisma/client";
import type { WebhookDeliveryStatus } from "../../generated/prisma/enums";
import { BadUserInputError, ConflictError, NotFoundError } from "../../shared/errors";
import { countryCode, isUuid, optionalString, Problems } from "../../shared/validation";
import { changesOf, type Kept, type WriteService } from "../writes";
import { ALL_EVENT_TYPES, DEFAULT_DOCUMENTS, DocumentRules } from "./webhook.documents";
import type { RegisterWebhookInput, UpdateWebhookInput, WebhookDocumentInput, WebhookFilterInput } from "./webhook.inputs";
import { WebhookRepository, type DeliveryRow, type EndpointRow } from "./webhook.repository";
import { newWebhookSecret, SecretBox } from "./webhook.secrets";
import { SsrfGuard, SsrfRefusal, type Resolver } from "./webhook.ssrf";
import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from "./webhook.types";

/** Live (not deleted) endpoints a party may have. */
export const MAX_ENDPOINTS_PER_PARTY = 25;
const SECRET_FORMAT = /^[\x21-\x7e]{32,200}$/;
/** Fields of an endpoint the write audit shows (never the secret). */
const AUDITED = ["url", "description", "eventTypes", "documents", "filterDeclarationId", "filterDestinations", "enabled", "apiKeyId", "deletedAt"];

const firstId = (kept: Kept) => (kept as { ids: string[] }).ids[0];

/**
 * Webhook endpoints and their delivery logs; the worker (webhook.worker.ts) delivers. An
 * endpoint hears what its party may hear with the role of the key that registered (or
 * last updated) it, exactly as that key's WebSocket subscriptions would (webhook.documents.ts).
 */
export class WebhookService {
  readonly repo: WebhookRepository;
  readonly guard: SsrfGuard;
  readonly secrets: SecretBox;
  private readonly rules: DocumentRules;

  constructor(
    prisma: PrismaClient,
    private readonly config: Config,
    private readonly writes: WriteService,
    resolver?: Resolver,
  ) {
    this.repo = new WebhookRepository(prisma);
    this.guard = new SsrfGuard(config.HUB_WEBHOOK_ALLOW_HOSTS, resolver, config.HUB_WEBHOOK_CONNECT_TIMEOUT_MS);
    this.secrets = new SecretBox(config.HUB_WEBHOOK_SECRET_KEY);
    this.rules = new DocumentRules(config);
  }

  async register(ctx: HubContext, schema: GraphQLSchema, input: RegisterWebhookInput, idempotencyKey?: string | null): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const me = requirePrincipal(ctx);
    await ctx.authz.assert("webhook:register");
    const p = new Problems();
    const url = await this.checkedUrl(p, input.url);
    const eventTypes = this.eventTypes(p, "input.eventTypes", input.eventTypes);
    const description = optionalString(p, "input.description", input.description, 200);
    const filter = await this.filter(ctx, p, input.filter);
    const documents = this.documents(p, schema, eventTypes ?? [], input.documents);
    if (input.secret != null && !SECRET_FORMAT.test(input.secret)) p.add("input.secret", "must be 32 to 200 printable ASCII characters without spaces");
    if (!me.apiKeyId) p.add("input", "register webhooks with an API key: the endpoint hears with that key's role, and stops when it is revoked");
    p.throwIfAny();
    return this.writes.run(
      ctx,
      {
        operation: "registerWebhook",
        idempotencyKey,
        request: input,
        keep: ({ endpoint }) => ({ ids: [endpoint.id] }),
        replay: async (kept) => {
          const row = await this.repo.findEndpoint(firstId(kept));
          if (!row) throw new NotFoundError("Webhook", firstId(kept));
          return { endpoint: toView(row), secret: this.secrets.open(row.secret) };
        },
      },
      (journal) =>
        journal.transaction(async (tx) => {
          if ((await this.repo.countLive(me.partyId, tx)) >= MAX_ENDPOINTS_PER_PARTY) {
            throw new ConflictError(`A party may have at most ${MAX_ENDPOINTS_PER_PARTY} webhooks; delete one first`);
          }
          const secret = input.secret ?? newWebhookSecret();
          const row = await this.repo.createEndpoint(tx, {
            partyId: me.partyId,
            ...endpointData(me.apiKeyId!, url!, description, eventTypes!, documents!, filter),
            secret: this.secrets.seal(secret),
            cursorSeq: await this.repo.latestSeq(tx), // events from now on
          });
          journal.record({ recordType: "WebhookEndpoint", recordId: row.id, holderId: me.partyId, changes: changesOf(null, row, AUDITED) });
          return { endpoint: toView(row), secret };
        }),
    );
  }

  async update(ctx: HubContext, schema: GraphQLSchema, id: string, input: UpdateWebhookInput, idempotencyKey?: string | null): Promise<WebhookEndpoint> {
    const me = requirePrincipal(ctx);
    const before = await this.owned(ctx, id, "webhook:update");
    const p = new Problems();
    const url = input.url != null ? await this.checkedUrl(p, input.url) : before.url;
    const eventTypes = input.eventTypes != null ? this.eventTypes(p, "input.eventTypes", input.eventTypes) : (before.eventTypes as WebhookEventType[]);
    const description = input.description !== undefined ? optionalString(p, "input.description", input.description, 200) : before.description;
    const filter = input.filter != null ? await this.filter(ctx, p, input.filter) : { declarationId: before.filterDeclarationId, destinationCountries: before.filterDestinations };
    const kept = storedDocuments(before).filter((d) => eventTypes?.includes(d.eventType));
    const documents = this.documents(p, schema, eventTypes ?? [], input.documents ?? kept);
    if (!me.apiKeyId) p.add("input", "update webhooks with an API key: the endpoint hears with that key's role");
    if (before.deletedAt) throw new ConflictError(`Webhook ${id} was deleted`);
    p.throwIfAny();
    return this.writes.run(
      ctx,
      { operation: "updateWebhook", idempotencyKey, request: { id, input }, keep: (e) => ({ ids: [e.id] }), replay: async () => toView((await this.repo.findEndpoint(id))!) },
      (journal) =>
        journal.transaction(async (tx) => {
          const enabling = input.enabled === true && !before.enabled;
          const row = await this.repo.updateEndpoint(tx, id, {
            ...endpointData(me.apiKeyId!, url!, description, eventTypes!, documents!, filter),
            ...(input.enabled != null ? { enabled: input.enabled, disabledReason: null } : {}),
            // re-enabled: from the latest event on (replay afterEventId for what happened between)
            ...(enabling ? { cursorSeq: await this.repo.latestSeq(tx) } : {}),
          });
          journal.record({ recordType: "WebhookEndpoint", recordId: id, holderId: me.partyId, changes: changesOf(before, row, AUDITED) });
          return toView(row);
        }),
    );
  }

  /** Soft: the endpoint hears nothing more, its pending deliveries are cancelled, its log stays. */
  async delete(ctx: HubContext, id: string, idempotencyKey?: string | null): Promise<WebhookEndpoint> {
    const me = requirePrincipal(ctx);
    const before = await this.owned(ctx, id, "webhook:delete");
    if (before.deletedAt) return toView(before);
    return this.writes.run(
      ctx,
      { operation: "deleteWebhook", idempotencyKey, request: { id }, keep: (e) => ({ ids: [e.id] }), replay: async () => toView((await this.repo.findEndpoint(id))!) },
      (journal) =>
        journal.transaction(async (tx) => {
          const row = await this.repo.updateEndpoint(tx, id, { deletedAt: new Date(), enabled: false });
          await this.repo.cancelPending(tx, id, "not sent: the endpoint was deleted");
          journal.record({ recordType: "WebhookEndpoint", recordId: id, holderId: me.partyId, changes: changesOf(before, row, AUDITED) });
          return toView(row);
        }),
    );
  }

  async list(ctx: HubContext, includeDeleted: boolean): Promise<WebhookEndpoint[]> {
    const me = requirePrincipal(ctx);
    await ctx.authz.assert("webhook:read", { endpointOwnerId: me.partyId });
    return (await this.repo.endpointsOf(me.partyId, includeDeleted)).map(toView);
  }

  /** An endpoint's delivery log, newest event first; `beforeEventId` pages back. */
  async deliveries(
    ctx: HubContext,
    endpointId: string,
    q: { status?: WebhookDeliveryStatus | null; beforeEventId?: string | null; first?: number | null },
  ): Promise<WebhookDelivery[]> {
    await this.owned(ctx, endpointId, "webhook:read");
    const take = q.first ?? 50;
    if (!Number.isInteger(take) || take < 1 || take > 500) throw BadUserInputError.at("first", "must be 1 to 500");
    const beforeSeq = q.beforeEventId != null ? eventSeq("beforeEventId", q.beforeEventId) : undefined;
    return (await this.repo.deliveries({ endpointId, status: q.status ?? undefined, beforeSeq, take })).map(deliveryView);
  }

  /**
   * Sends again one delivery, or every event after `afterEventId`: existing deliveries are
   * queued again (each event authorized again when sent), and the endpoint's cursor moves
   * back so events it never had a delivery for are added (within HUB_EVENT_RETENTION_DAYS).
   */
  async replay(
    ctx: HubContext,
    endpointId: string,
    what: { deliveryId?: string | null; afterEventId?: string | null },
    idempotencyKey?: string | null,
  ): Promise<{ requeued: number; endpoint: WebhookEndpoint }> {
    const me = requirePrincipal(ctx);
    const endpoint = await this.owned(ctx, endpointId, "webhook:replay");
    if ((what.deliveryId == null) === (what.afterEventId == null)) throw BadUserInputError.at("deliveryId", "give exactly one of deliveryId and afterEventId");
    if (endpoint.deletedAt) throw new ConflictError(`Webhook ${endpointId} was deleted; its log can be read, not replayed`);
    let after: bigint | null = null;
    if (what.deliveryId != null) {
      const d = isUuid(what.deliveryId) ? await this.repo.findDelivery(what.deliveryId) : null;
      if (!d || d.endpointId !== endpointId) throw new NotFoundError("Webhook delivery", what.deliveryId);
    } else {
      after = eventSeq("afterEventId", what.afterEventId!);
      const [latest, oldest] = [await this.repo.latestSeq(), await this.repo.oldestSeq()];
      if (after > latest) throw BadUserInputError.at("afterEventId", `no event ${after} exists yet (the latest is ${latest})`);
      if (after < (oldest ?? latest + 1n) - 1n) {
        throw BadUserInputError.at("afterEventId", `events after ${after} are no longer kept (retention ${this.config.HUB_EVENT_RETENTION_DAYS} days; the oldest kept is ${oldest ?? latest + 1n})`);
      }
    }
    return this.writes.run(
      ctx,
      {
        operation: "replayWebhookDeliveries",
        idempotencyKey,
        request: { endpointId, ...what },
        keep: (r) => ({ ids: [endpointId], requeued: r.requeued }),
        replay: async (kept) => ({ requeued: (kept as { requeued: number }).requeued, endpoint: toView((await this.repo.findEndpoint(endpointId))!) }),
      },
      (journal) =>
        journal.transaction(async (tx) => {
          const now = new Date();
          let requeued: number;
          let row = endpoint;
          if (what.deliveryId != null) {
            requeued = await this.repo.requeue(tx, { id: what.deliveryId, endpointId }, now);
          } else {
            requeued = await this.repo.requeue(tx, { endpointId, eventSeq: { gt: after! } }, now);
            const current = (await this.repo.findEndpoint(endpointId, tx))!;
            if (after! < current.cursorSeq) row = await this.repo.updateEndpoint(tx, endpointId, { cursorSeq: after! });
          }
          journal.record({
            recordType: "WebhookEndpoint",
            recordId: endpointId,
            holderId: me.partyId,
            changes: { replayed: { before: null, after: { deliveryId: what.deliveryId ?? null, afterEventId: what.afterEventId ?? null, requeued } } },
          });
          return { requeued, endpoint: toView(row) };
        }),
    );
  }

  /** The endpoint, if the caller's party owns it and may do `action`; NOT_FOUND otherwise. */
  private async owned(ctx: HubContext, id: string, action: "webhook:read" | "webhook:update" | "webhook:delete" | "webhook:replay"): Promise<EndpointRow> {
    requirePrincipal(ctx);
    const row = isUuid(id) ? await this.repo.findEndpoint(id) : null;
    if (!row || !(await ctx.authz.can(action, { endpointOwnerId: row.partyId }))) throw new NotFoundError("Webhook", id);
    return row;
  }

  /** The URL as the SSRF guard sees it, resolved now; problems at input.url. */
  private async checkedUrl(p: Problems, raw: unknown): Promise<string | undefined> {
    if (typeof raw !== "string" || !raw.trim()) {
      p.add("input.url", "is required");
      return undefined;
    }
    try {
      const target = await this.guard.target(raw.trim());
      return target.url.toString();
    } catch (err) {
      if (!(err instanceof SsrfRefusal)) throw err;
      p.add("input.url", err.message);
      return undefined;
    }
  }

  private eventTypes(p: Problems, path: string, types: WebhookEventType[]): WebhookEventType[] | undefined {
    const unique = [...new Set(types)];
    if (!unique.length) p.add(path, `must name at least one of ${ALL_EVENT_TYPES.join(", ")}`);
    return unique;
  }

  private async filter(ctx: HubContext, p: Problems, f: WebhookFilterInput | null | undefined): Promise<{ declarationId: string | null; destinationCountries: string[] }> {
    let declarationId: string | null = null;
    if (f?.declarationId != null) {
      // naming a declaration is reading it: only one the caller may see
      const seen = isUuid(f.declarationId) ? await ctx.hub.services.declarations.get(ctx, f.declarationId).catch(() => null) : null;
      if (seen) declarationId = f.declarationId;
      else p.add("input.filter.declarationId", "no declaration you may see has this id");
    }
    const destinationCountries = (f?.destinationCountries ?? []).map((c, i) => countryCode(p, `input.filter.destinationCountries[${i}]`, c) ?? "");
    if (destinationCountries.length > 50) p.add("input.filter.destinationCountries", "at most 50 countries");
    return { declarationId, destinationCountries: [...new Set(destinationCountries)] };
  }

  /** One validated document per event type heard: the given one, or the default. */
  private documents(p: Problems, schema: GraphQLSchema, types: WebhookEventType[], given: WebhookDocumentInput[] | null | undefined): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    (given ?? []).forEach((d, i) => {
      const path = `input.documents[${i}]`;
      if (!types.includes(d.eventType)) return p.add(`${path}.eventType`, `${d.eventType} is not among the endpoint's eventTypes`);
      if (out[d.eventType]) return p.add(`${path}.eventType`, `a second document for ${d.eventType}`);
      const problems = typeof d.query === "string" && d.query.length <= 20_000 ? this.rules.problems(schema, d.eventType, d.query) : ["must be at most 20000 characters"];
      for (const problem of problems) p.add(`${path}.query`, problem);
      out[d.eventType] = d.query;
    });
    for (const t of types) out[t] ??= DEFAULT_DOCUMENTS[t];
    return p.ok ? out : undefined;
  }
}

/** What register and update both store of the checked input; the endpoint hears with the key that wrote it. */
function endpointData(
  apiKeyId: string,
  url: string,
  description: string | null | undefined,
  eventTypes: WebhookEventType[],
  documents: Record<string, string>,
  filter: { declarationId: string | null; destinationCountries: string[] },
) {
  return {
    apiKeyId,
    url,
    description: description ?? null,
    eventTypes,
    documents,
    filterDeclarationId: filter.declarationId,
    filterDestinations: filter.destinationCountries,
  };
}

function eventSeq(path: string, id: string): bigint {
  if (!/^\d{1,19}$/.test(id)) throw BadUserInputError.at(path, "must be an event id (the eventId of an event you received)");
  return BigInt(id);
}

function storedDocuments(row: EndpointRow): WebhookDocumentInput[] {
  const docs = row.documents as Record<string, string>;
  return Object.entries(docs)
    .filter(([type, query]) => query !== DEFAULT_DOCUMENTS[type as WebhookEventType])
    .map(([type, query]) => ({ eventType: type as WebhookEventType, query }));
}

export function toView(row: EndpointRow): WebhookEndpoint {
  const docs = row.documents as Record<string, string>;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: row.eventTypes as WebhookEventType[],
    filter: { declarationId: row.filterDeclarationId, destinationCountries: row.filterDestinations },
    documents: (row.eventTypes as WebhookEventType[]).map((t) => ({ eventType: t, query: docs[t] ?? DEFAULT_DOCUMENTS[t] })),
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    apiKeyId: row.apiKeyId,
    lastEventId: String(row.cursorSeq),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    deletedAt: row.deletedAt,
  };
}

function deliveryView(d: DeliveryRow): WebhookDelivery {
  return {
    id: d.id,
    endpointId: d.endpointId,
    eventId: String(d.eventSeq),
    eventType: d.eventType as WebhookEventType,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: d.lastAttemptAt,
    nextAttemptAt: d.status === "PENDING" ? d.nextAttemptAt : null,
    deliveredAt: d.deliveredAt,
    replays: d.replays,
    createdAt: d.createdAt,
  };
}
