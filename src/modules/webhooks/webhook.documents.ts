import {
  execute,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from "graphql";
import type { Config } from "../../config";
import type { Principal } from "../../authz/principal";
import { createContext } from "../../context/context";
import type { Hub } from "../../hub";
import { createArmor } from "../../server/limits";
import type { FeedEvent } from "../events/event-feed";
import { mayHear, SUBSCRIBED_TYPES } from "../notifications/notifications.service";
import { WebhookEventType } from "./webhook.types";

/*
 * What an endpoint receives for an event is what a WebSocket subscriber of the same party
 * and role receives: the endpoint's subscription document executed by graphql-js with the
 * event as root value (as graphql-js's subscribe() maps each source event: mapSourceToResponse
 * calls execute({ ...args, rootValue: payload })), on the served schema, in a context of the
 * endpoint's principal. The field guards then null and report each denied field exactly as
 * for a socket, and the access log records the reads.
 */

/** Each webhook event type: its subscription field and the outbox events it covers. */
export const EVENT_TYPES: Record<WebhookEventType, { field: keyof typeof SUBSCRIBED_TYPES; outbox: readonly string[] }> = {
  [WebhookEventType.HOLD_PLACED]: { field: "holdPlaced", outbox: SUBSCRIBED_TYPES.holdPlaced },
  [WebhookEventType.DECLARATION_STATUS_CHANGED]: { field: "declarationStatusChanged", outbox: SUBSCRIBED_TYPES.declarationStatusChanged },
};

export const ALL_EVENT_TYPES = Object.keys(EVENT_TYPES) as WebhookEventType[];

/** The webhook event type of an outbox event, or null when no webhook hears it. */
export function webhookTypeOf(outboxType: string): WebhookEventType | null {
  return ALL_EVENT_TYPES.find((t) => EVENT_TYPES[t].outbox.includes(outboxType)) ?? null;
}

export const DEFAULT_DOCUMENTS: Record<WebhookEventType, string> = {
  [WebhookEventType.HOLD_PLACED]:
    "subscription { holdPlaced { eventId at declarationId kind declaration { trackingNumber platformOrderId status } } }",
  [WebhookEventType.DECLARATION_STATUS_CHANGED]:
    "subscription { declarationStatusChanged { eventId at declarationId fromStatus toStatus declaration { trackingNumber platformOrderId status } } }",
};

/** Validates documents against the served schema and the same limits as over HTTP. */
export class DocumentRules {
  private readonly rules: ValidationRule[];

  constructor(private readonly config: Config) {
    this.rules = [...specifiedRules, ...(createArmor(config).protect().validationRules as ValidationRule[])];
  }

  /** What is wrong with `source` as the document of `type` (empty: nothing). */
  problems(schema: GraphQLSchema, type: WebhookEventType, source: string): string[] {
    let document: DocumentNode;
    try {
      document = parse(source, { maxTokens: this.config.HUB_MAX_TOKENS });
    } catch (err) {
      return [(err as Error).message.replace(/^Syntax Error: /, "")];
    }
    const errors = validate(schema, document, this.rules);
    if (errors.length) return errors.map((e) => e.message.replace(/^Syntax Error: /, ""));
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1 || operations[0].operation !== "subscription") return ["must be exactly one subscription operation"];
    const op = operations[0];
    if (op.variableDefinitions?.length) return ["must not declare variables (use the endpoint's filter)"];
    const root = op.selectionSet.selections;
    const field = EVENT_TYPES[type].field;
    if (root.length !== 1 || root[0].kind !== Kind.FIELD || root[0].name.value !== field) return [`must select exactly the field ${field} (the ${type} subscription)`];
    if (root[0].arguments?.length) return [`must not pass arguments to ${field} (use the endpoint's filter)`];
    return [];
  }
}

const parsedDocuments = new Map<string, DocumentNode>();

/** A stored (validated) document, parsed once per process. */
export function parsedDocument(source: string): DocumentNode {
  let doc = parsedDocuments.get(source);
  if (!doc) {
    if (parsedDocuments.size > 1000) parsedDocuments.clear();
    doc = parse(source);
    parsedDocuments.set(source, doc);
  }
  return doc;
}

export type Rendered = { heard: false } | { heard: true; body: string };

/**
 * The body of one event for one endpoint's principal, or `heard: false` when its party may
 * not hear the event now (the same decision as for its sockets, memoized per event and
 * (party, role)). `formatError` is the servers' formatter: no internals leave the hub.
 */
export async function renderEvent(
  hub: Hub,
  schema: GraphQLSchema,
  principal: Principal,
  event: FeedEvent,
  type: WebhookEventType,
  source: string,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): Promise<Rendered> {
  const ctx = createContext(hub, principal, `webhook:${type}`);
  ctx.authz.collectDenials(); // denied fields are nulled and reported below, as for a socket
  const policy = await ctx.authz.policy();
  const who = `${principal.partyId}|${principal.role}`;
  let heard = event.decisions.get(who);
  if (heard === undefined) {
    heard = mayHear(policy, event);
    event.decisions.set(who, heard);
  }
  if (!heard) return { heard: false };
  if (event.declaration) policy.rememberScope(event.declaration);
  const result = await execute({ schema, document: parsedDocument(source), rootValue: event, contextValue: ctx });
  hub.accessLog.enqueue(ctx.authz.recorder.drain(principal, ctx.operationName));
  const formatted = result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result;
  const { data, errors } = ctx.authz.reportDenials(formatted as { data?: unknown; errors?: ReadonlyArray<unknown> });
  const body = { eventId: String(event.seq), eventType: type, data: data ?? null, ...(errors?.length ? { errors } : {}) };
  return { heard: true, body: JSON.stringify(body) };
}
