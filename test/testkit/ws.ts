/** graphql-ws clients for tests: a client per key, and a subscription that collects its events. */
import WebSocket from "ws";
import { createClient, type Client } from "graphql-ws";
import type { TestHub } from "./hub";

export function wsClient(t: TestHub, key: string | null): Client {
  return createClient({
    url: t.server!.url.replace("http", "ws"),
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Collects events of one subscription; `next()` waits for the next one or times out. */
export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const events: any[] = [];
  const errors: any[] = [];
  let wake: (() => void) | undefined;
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (v) => {
        events.push(v);
        wake?.();
      },
      error: (e) => {
        errors.push(e);
        wake?.();
      },
      complete: () => wake?.(),
    },
  );
  return {
    events,
    errors,
    dispose,
    async waitFor(n: number, ms = 3000) {
      const until = Date.now() + ms;
      while (events.length + errors.length < n && Date.now() < until) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

