import { createHash } from "node:crypto";
import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from "graphql";
import type { AccessLogRecord } from "../authz/access-recorder";
import type { Principal } from "../authz/principal";
import { createContext, type HubContext } from "../context/context";
import type { FeedEvent } from "../modules/events/event-feed";
import { audienceKey } from "../modules/events/event-router";

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** A result executed once for a group of subscribers, and what it read (for each key's access log). */
interface Shared {
  payload: ExecutionResult;
  records: AccessLogRecord[];
  /** keys whose access log already has these reads */
  logged: Set<string | null>;
}

/** Results that are shared, with their bookkeeping (the payload object is what every socket is sent). */
const shares = new WeakMap<object, Shared>();

const isFeedEvent = (v: unknown): v is FeedEvent => typeof v === "object" && v !== null && (v as FeedEvent).renders instanceof Map;

/**
 * graphql-ws's `subscribe`, multiplexed (as Hasura does for live queries): graphql-js's
 * subscribe() executes the selection once per event per subscriber; here each event is
 * executed once per (party, role, document, operation, variables) and the same result goes
 * to every subscription of that group. The execution runs with the group's policy (the
 * same for every key of a party in a role) in a context of its own, so denied fields are
 * nulled and reported as for one subscriber; the reads go to each key's access log once.
 * The cache lives on the event (FeedEvent.renders) for RENDER_KEPT_MS.
 */
export function multiplexedSubscribe(formatError: FormatError) {
  return async (args: ExecutionArgs): Promise<ExecutionResult | AsyncGenerator<ExecutionResult>> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source; // errors before the stream (refused, bad arguments)
    const ctx = args.contextValue as HubContext;
    const principal = ctx.principal;
    const own = (event: unknown) => Promise.resolve(execute({ ...args, rootValue: event }));
    if (!principal) return mapped(source, own);
    const key = groupKey(principal, args);
    const render = (event: unknown): Promise<ExecutionResult> => {
      if (!isFeedEvent(event)) return own(event);
      let shared = event.renders.get(key) as Promise<ExecutionResult> | undefined;
      if (!shared) {
        shared = executeShared(ctx, principal, args, event, formatError);
        event.renders.set(key, shared);
        forgetLater(event, key);
      }
      return shared;
    };
    return mapped(source, render);
  };
}

/**
 * For graphql-ws's onNext: a shared result as it is (its denials are reported, its errors
 * formatted), after adding its reads to this subscriber's key's access log (once per key).
 * Undefined for a result of its own.
 */
export function sharedResult(ctx: HubContext, result: unknown): ExecutionResult | undefined {
  const shared = typeof result === "object" && result !== null ? shares.get(result) : undefined;
  if (!shared) return undefined;
  const apiKeyId = ctx.principal?.apiKeyId ?? null;
  if (shared.records.length && !shared.logged.has(apiKeyId)) {
    shared.logged.add(apiKeyId);
    ctx.hub.accessLog.enqueue(shared.records.map((r) => ({ ...r, apiKeyId })));
  }
  return shared.payload;
}

/**
 * A group's subscribers take an event within moments of each other; a render is then
 * forgotten (one that lags behind executes its own), so events a slow subscriber still
 * holds do not keep every group's results alive with them.
 */
const RENDER_KEPT_MS = 2000;
const kept: { event: FeedEvent; key: string; at: number }[] = [];
let sweeper: NodeJS.Timeout | null = null;

function forgetLater(event: FeedEvent, key: string): void {
  kept.push({ event, key, at: Date.now() });
  sweeper ??= setInterval(sweep, RENDER_KEPT_MS / 2).unref();
}

function sweep(): void {
  const before = Date.now() - RENDER_KEPT_MS;
  let n = 0;
  while (n < kept.length && kept[n].at <= before) {
    kept[n].event.renders.delete(kept[n].key);
    n++;
  }
  kept.splice(0, n);
}

/** Who, what document and which variables: subscribers with the same key receive the same result. */
function groupKey(principal: Principal, args: ExecutionArgs): string {
  const digest = createHash("sha1")
    .update(print(args.document))
    .update("\0")
    .update(args.operationName ?? "")
    .update("\0")
    .update(JSON.stringify(args.variableValues ?? {}))
    .digest("base64");
  return `${audienceKey(principal)}|${digest}`;
}

async function executeShared(ctx: HubContext, principal: Principal, args: ExecutionArgs, event: FeedEvent, formatError: FormatError): Promise<ExecutionResult> {
  const own = createContext(ctx.hub, principal, ctx.operationName);
  own.authz.collectDenials();
  const policy = await own.authz.policy();
  if (event.declaration) policy.rememberScope(event.declaration); // its fields are judged by this policy
  const result = await execute({ ...args, rootValue: event, contextValue: own });
  const records = own.authz.recorder.drain(principal, own.operationName);
  const formatted = result.errors?.length ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : result;
  const payload = own.authz.reportDenials(formatted as ExecutionResult);
  shares.set(payload, { payload, records, logged: new Set() });
  return payload;
}

function isAsyncIterable<T>(v: unknown): v is AsyncIterable<T> {
  return typeof v === "object" && v !== null && Symbol.asyncIterator in v;
}

/** `source` with each value rendered; return() ends the source at once. */
function mapped(source: AsyncIterable<unknown>, render: (v: unknown) => Promise<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const it = source[Symbol.asyncIterator]();
  const gen: AsyncGenerator<ExecutionResult> = {
    async next() {
      const r = await it.next();
      if (r.done) return { value: undefined, done: true };
      return { value: await render(r.value), done: false };
    },
    async return() {
      await it.return?.();
      return { value: undefined, done: true };
    },
    async throw(err?: unknown) {
      await it.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return gen;
    },
  };
  return gen;
}
