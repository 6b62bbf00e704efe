/**
 * A hub's stop does not wait on a WebSocket peer that never answers the close (a frozen
 * browser or a client that stopped reading): it is cut off after 3 s. It used to hold the stop
 * for Apollo's 10 s drain grace (and ws would wait 30 s for the close handshake), which with a
 * frozen browser added to a browser suite's afterAll.
 */
import WebSocket from "ws";
import { makeParty, startTestHub } from "../testkit/hub";

describe("a hub's stop", () => {
  it("cuts off a WebSocket peer that does not answer the close within seconds", async () => {
    const t = await startTestHub();
    const customs = await makeParty(t, "CUSTOMS", "DE", "Zoll");
    const ws = new WebSocket(t.server!.url.replace("http", "ws"), "graphql-transport-ws");
    try {
      const messages: string[] = [];
      ws.on("message", (d) => messages.push(String(d)));
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${customs.key}` } }));
      for (const end = Date.now() + 15_000; !messages.some((m) => m.includes("connection_ack")); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > end) throw new Error("no connection_ack within 15 s");
      }
      // frozen: reads nothing more, so never sees (nor answers) the hub's close frame
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const started = Date.now();
      await t.server!.stop();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(2_500); // the peer had its chance to answer first
      expect(took).toBeLessThan(8_000); // 10 s before
    } finally {
      ws.terminate();
      await t.stop();
    }
  }, 90_000);
});
