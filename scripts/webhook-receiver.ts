// A webhook receiver for Luxor Hub: listens on a port, verifies each delivery's signature
// with the endpoint's secret, prints the event, and answers 2xx (or 400 when the signature
// does not verify, so the hub retries and the delivery log shows why).
//
//   LUXOR_WEBHOOK_SECRET=whsec_... node dist/scripts/webhook-receiver.js [--port 8787] [--host 127.0.0.1]
//
// Deliveries are at least once: the same event can come again (a retry whose answer was
// lost, a replay). Deduplicate on the Luxor-Event-Id header (the event's id), as here.
import http from "node:http";
import {
  ATTEMPT_HEADER,
  DELIVERY_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  verifySignature,
} from "../src/modules/webhooks/webhook.signing";

const MAX_BODY = 1024 * 1024;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function main(): void {
  const secret = process.env.LUXOR_WEBHOOK_SECRET;
  if (!secret) {
    console.error("Set LUXOR_WEBHOOK_SECRET to the secret registerWebhook returned.");
    process.exitCode = 2;
    return;
  }
  const port = Number(option("port", process.env.PORT ?? "8787"));
  const host = option("host", "127.0.0.1");
  const seen = new Set<string>();

  const server = http.createServer((req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      const raw = Buffer.concat(chunks); // verify the bytes received, before parsing
      const verdict = verifySignature(secret, req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined, raw);
      if (!verdict.ok) {
        console.error(`refused a delivery: ${verdict.reason}`);
        res.writeHead(400, { "content-type": "text/plain" }).end(verdict.reason);
        return;
      }
      const eventId = String(req.headers[EVENT_ID_HEADER.toLowerCase()]);
      const duplicate = seen.has(eventId);
      seen.add(eventId);
      const event = JSON.parse(raw.toString("utf8")) as { eventType: string; data: unknown; errors?: unknown[] };
      console.log(
        JSON.stringify({
          eventId,
          eventType: req.headers[EVENT_TYPE_HEADER.toLowerCase()],
          deliveryId: req.headers[DELIVERY_HEADER.toLowerCase()],
          attempt: Number(req.headers[ATTEMPT_HEADER.toLowerCase()]),
          duplicate,
          data: event.data,
          ...(event.errors ? { errors: event.errors } : {}),
        }),
      );
      res.writeHead(204).end();
    });
  });
  server.listen(port, host, () => console.error(`listening on http://${host}:${port}/ (signatures checked with LUXOR_WEBHOOK_SECRET)`));
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
