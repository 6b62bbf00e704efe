/**
 * The real process (`npm start`'s entry point, built by `npm test`): embedded storage,
 * readiness, and a SIGTERM drain that finishes in-flight work and loses nothing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { declarationInput } from "../testkit/hub";

const MAIN = path.join(__dirname, "../../dist/src/main.js");
const ADMIN = "process-test-admin-token-0123456789";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function start(dataDir: string, port: number): Promise<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> {
  if (!fs.existsSync(MAIN)) throw new Error("dist/src/main.js is missing: run `npm run build` (npm test does)");
  let out = "";
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, NODE_ENV: "production", PORT: String(port), HUB_DATA_DIR: dataDir, HUB_SEED: "none", HUB_ADMIN_TOKEN: ADMIN, LOG_LEVEL: "warn", DATABASE_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  // readiness is not what this file tests: a first start of the embedded store (WebAssembly
  // PostgreSQL, migrations) took 50 s under load 7 on 2 cores, 7 s quiet
  const until = Date.now() + 150_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > until || child.exitCode !== null) {
      // a hub left running would hold jest open (its pipes) and outlive the run
      child.kill("SIGKILL");
      throw new Error(`hub did not get ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, exited, output: () => out };
}

const gql = (port: number, key: string, query: string, variables?: unknown) =>
  fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json() as Promise<any>);

describe("the hub process", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-hub-process-"));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("drains on SIGTERM: the in-flight bulk filing completes, the store keeps it", async () => {
    const port = await freePort();
    const first = await start(dataDir, port);
    const party = await gql(port, ADMIN, `mutation { createParty(input: { name: "ShopWorld", kind: PLATFORM, country: "IE" }) { id } }`);
    const key = await gql(port, ADMIN, `mutation($p: ID!) { createApiKey(input: { partyId: $p, role: AGENT, label: "t" }) { secret } }`, {
      p: party.data.createParty.id,
    });
    const secret = key.data.createApiKey.secret;
    const batch = Array.from({ length: 300 }, () => declarationInput());
    const inFlight = gql(port, secret, `mutation($d: [DeclarationInput!]!) { fileDeclarations(declarations: $d) { createdCount } }`, { d: batch });
    await new Promise((r) => setTimeout(r, 50));
    first.child.kill("SIGTERM");
    const answer = await inFlight;
    expect(answer.data.fileDeclarations.createdCount).toBe(300);
    expect(await first.exited).toBe(0);

    const second = await start(dataDir, port);
    try {
      const page = await gql(port, secret, `{ declarations(first: 1) { totalCount } }`);
      expect(page.data.declarations.totalCount).toBe(300);
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  }, 360_000);
});
