/** logDestination (src/infra/logger.ts): every line written once, whole and in order, in batches. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger, logDestination } from "../src/infra/logger";

/** The file's text once it holds `bytes` bytes (the writes are asynchronous), or what it holds after 5 s. */
async function fileOnce(file: string, bytes: number): Promise<string> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if (fs.existsSync(file) && fs.statSync(file).size >= bytes) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return fs.readFileSync(file, "utf8");
}

describe("log destination", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-log-dest-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes every line as given, in order: many batches, multi-byte text, a line longer than a batch", async () => {
    const file = path.join(dir, "hub.log");
    const destination = logDestination(file);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`{"n":${i},"text":"${i % 7 ? "é€ \ud83d\ude00 ü" : "x".repeat(i % 300)}"}\n`);
    lines.splice(1500, 0, `{"long":"${"€".repeat(30_000)}"}\n`); // 90 KB in UTF-8, above a batch
    for (const line of lines) destination.write(line);
    destination.flush();
    const text = lines.join("");
    expect(await fileOnce(file, Buffer.byteLength(text))).toBe(text);
  });

  it("writes a quiet logger's lines within the flush period, without a flush", async () => {
    const file = path.join(dir, "hub.log");
    const log = createLogger("info", logDestination(file));
    log.info({ partyId: "p1" }, "first");
    log.info("second");
    const text = await fileOnce(file, 2); // FLUSH_MS is 250 ms
    await new Promise((r) => setTimeout(r, 100));
    expect(fs.readFileSync(file, "utf8")).toBe(text);
    expect(text).toMatch(/^\{"level":30,.*"partyId":"p1","msg":"first"\}\n\{"level":30,.*"msg":"second"\}\n$/);
  });
});
