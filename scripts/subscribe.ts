// Hears Luxor Hub events over WebSocket (graphql-ws), prints each one, and resumes after a
// disconnect or a restart from the last event it printed (`after`), so nothing is missed
// and nothing comes twice.
//
//   HUB_KEY=<api key> node dist/scripts/subscribe.js [holdPlaced|declarationStatusChanged]
//     [--url ws://localhost:4000/graphql] [--after <eventId>] [--state <file>]
//
// The last event id is kept in the state file (default .luxor-<subscription>.last).
import fs from "node:fs";
import WebSocket from "ws";
import { createClient } from "graphql-ws";

const DOCUMENTS: Record<string, string> = {
  holdPlaced: `subscription($after: ID) {
    holdPlaced(after: $after) { eventId at declarationId kind declaration { trackingNumber platformOrderId status } }
  }`,
  declarationStatusChanged: `subscription($after: ID) {
    declarationStatusChanged(after: $after) { eventId at declarationId fromStatus toStatus declaration { trackingNumber platformOrderId status } }
  }`,
};

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const key = process.env.HUB_KEY;
  const field = process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "holdPlaced";
  const query = DOCUMENTS[field];
  if (!key || !query) {
    console.error("Usage: HUB_KEY=<api key> node dist/scripts/subscribe.js [holdPlaced|declarationStatusChanged] [--url ws://...] [--after <eventId>] [--state <file>]");
    process.exitCode = 2;
    return;
  }
  const url = option("url") ?? process.env.HUB_WS_URL ?? "ws://localhost:4000/graphql";
  const state = option("state") ?? `.luxor-${field}.last`;
  let after: string | undefined = option("after") ?? (fs.existsSync(state) ? fs.readFileSync(state, "utf8").trim() || undefined : undefined);
  let stopping = false;
  process.on("SIGINT", () => {
    stopping = true;
    process.exit(0);
  });

  for (let delay = 500; !stopping; delay = Math.min(delay * 2, 30_000)) {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: true });
    try {
      console.error(after ? `subscribing to ${field} after event ${after}` : `subscribing to ${field} from now on`);
      for await (const result of client.iterate<Record<string, { eventId: string }>>({ query, variables: { after } })) {
        if (result.errors?.length && !result.data) throw new Error(JSON.stringify(result.errors));
        const event = result.data?.[field];
        if (!event) continue;
        if (after !== undefined && BigInt(event.eventId) <= BigInt(after)) continue; // already printed
        console.log(JSON.stringify({ ...event, ...(result.errors ? { errors: result.errors } : {}) }));
        after = event.eventId;
        fs.writeFileSync(state, after);
        delay = 500; // it works: the next outage starts over with a short wait
      }
      console.error("the hub ended the subscription; resubscribing");
    } catch (err) {
      const e = err as { message?: string; reason?: string; code?: number; type?: string } | undefined;
      const reason = e?.message || e?.reason || (e?.code ? `closed with code ${e.code}` : "") || e?.type || JSON.stringify(err);
      console.error(`disconnected (${reason}); resuming in ${delay} ms`);
      if (/BAD_USER_INPUT/.test(reason) && /no longer kept/.test(reason)) {
        console.error("the events after the last one printed are no longer kept: reload the current state, then subscribe without --after");
        process.exitCode = 1;
        return;
      }
    } finally {
      await client.dispose();
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
