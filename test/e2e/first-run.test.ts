/**
 * A first run that cannot lose anything, on the real process (dist/src/main.js, built by
 * `npm test`): configuration and port checked before anything is written, the data folder
 * locked, a crash during the demo seed resumed with the keys printed, and `npm run keys`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const ROOT = path.join(__dirname, "../..");
const MAIN = path.join(ROOT, "dist/src/main.js");
const KEYS = path.join(ROOT, "dist/scripts/keys.js");
const SEED = path.join(ROOT, "dist/scripts/seed.js");

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A clean hub environment: embedded store in `dataDir`, defaults otherwise. */
function hubEnv(dataDir: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HUB_|DATABASE_URL|REDIS_URL|NODE_ENV|LOG_LEVEL|PORT$|HOST$)/.test(k)) env[k] = v;
  return { ...env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", HUB_DATA_DIR: dataDir, LOG_LEVEL: "info", ...extra };
}

interface Hub {
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}

function spawnHub(env: NodeJS.ProcessEnv): Hub {
  if (!fs.existsSync(MAIN)) throw new Error("dist/src/main.js is missing: run `npm run build` (npm test does)");
  let out = "";
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function until(what: string, hub: Hub, check: () => boolean | Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (hub.child.exitCode !== null || hub.child.signalCode !== null) throw new Error(`the hub exited before ${what}:\n${hub.output()}`);
    if (Date.now() > end) {
      hub.child.kill("SIGKILL"); // left running, it would hold jest open
      throw new Error(`no ${what} within ${ms} ms:\n${hub.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ready = (port: number) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);

/** The keys printed by a first start: role -> secret. */
function printedKeys(output: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const m of output.matchAll(/^ {2}(OPERATOR|OFFICER|ANALYST|AGENT)\s+(.+?)\s+(lux_\S+)$/gm)) keys.set(`${m[1]} ${m[2]}`, m[3]);
  return keys;
}

const gql = (port: number, key: string, query: string) =>
  fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  }).then((r) => r.json() as Promise<any>);

/** The first start's six keys (operator and demo) were printed and work: the operator lists its key, the officer reads declarations. */
async function expectWorkingKeys(port: number, keys: Map<string, string>): Promise<void> {
  expect([...keys.keys()].map((k) => k.split(" ")[0]).sort()).toEqual(["AGENT", "AGENT", "AGENT", "ANALYST", "OFFICER", "OPERATOR"]);
  const operator = keys.get("OPERATOR Luxor Hub operator")!;
  const own = await gql(port, operator, "{ apiKeys { role label lastUsedAt } }");
  expect(own.data.apiKeys).toEqual([{ role: "OPERATOR", label: "operator (first start)", lastUsedAt: expect.any(String) }]);
  const officer = keys.get("OFFICER Generalzolldirektion (DE)")!;
  const page = await gql(port, officer, "{ declarations(first: 1) { totalCount } }");
  expect(page.data.declarations.totalCount).toBeGreaterThan(0);
}

function keysCommand(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [KEYS, ...args], { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("a first start", () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-first-run-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("refuses a wrong configuration naming each variable and what it allows, exit 2, nothing written", async () => {
    const dataDir = path.join(tmp(), "store");
    const r = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: hubEnv(dataDir, 4000, { HUB_BODY_LIMIT: "lots", DATABASE_URL: "mysql://root:hunter2@db/x", HUB_SEED: "maybe", HUB_ANALYTICS_RANDOM_PAGE_COST: "0.5" }),
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("HUB_BODY_LIMIT=lots: must be a size such as 2mb, 500kb or 1048576 (bytes)");
    expect(r.stderr).toContain("DATABASE_URL=mysql://root:***@db/x: must be a postgresql:// (or postgres://) URL");
    expect(r.stderr).toContain("HUB_SEED=maybe: must be one of demo, none");
    expect(r.stderr).toContain("HUB_ANALYTICS_RANDOM_PAGE_COST=0.5: must be a number from 1 to 100 (default 1.1)");
    expect(r.stderr).not.toContain("hunter2");
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it("with its port in use: one clear message naming PORT, exit 1, nothing written", async () => {
    const dataDir = path.join(tmp(), "store");
    const blocker = net.createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const hub = spawnHub(hubEnv(dataDir, port));
      expect(await hub.exited).toBe(1);
      expect(hub.output()).toContain(`PORT=${port}: port ${port} on 127.0.0.1 is already in use by another program`);
      expect(fs.existsSync(dataDir)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("with an unreachable PostgreSQL: says what to check, exit 1", async () => {
    const closed = await freePort();
    const hub = spawnHub(hubEnv(tmp(), await freePort(), { DATABASE_URL: `postgresql://postgres@127.0.0.1:${closed}/luxor` }));
    expect(await hub.exited).toBe(1);
    expect(hub.output()).toContain(`nothing accepts connections at 127.0.0.1:${closed}: is PostgreSQL running there? check the host and port in DATABASE_URL`);
  });

  it("killed during the demo seed: the folder is locked meanwhile; the restart resumes, prints working keys; npm run keys manages them", async () => {
    const dataDir = tmp();
    const port = await freePort();
    const env = hubEnv(dataDir, port);
    const first = spawnHub(env);
    await until("seeding progress", first, () => /"done":500,/.test(first.output()));
    first.child.kill("SIGKILL");
    await first.exited;
    expect(printedKeys(first.output()).size).toBe(0); // killed before its keys were shown

    const second = spawnHub(env);
    try {
      await until("ready", second, () => ready(port));
      // a second process on the same folder (here `npm run keys`) is refused, naming the holder
      const locked = keysCommand(env, "list");
      expect(locked.status).toBe(1);
      expect(locked.out).toContain(`is in use by process ${second.child.pid}`);
      expect(second.output()).toContain("first start was interrupted: resuming it");
      expect(second.output()).toContain("resumed after an interruption");
      await expectWorkingKeys(port, printedKeys(second.output()));
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
    // a third start prints nothing: the setup is finished
    const third = spawnHub(env);
    try {
      await until("ready", third, () => ready(port));
      expect(printedKeys(third.output()).size).toBe(0);
    } finally {
      third.child.kill("SIGTERM");
      await third.exited;
    }

    // npm run keys, on the stopped store: list, revoke, create
    const list = keysCommand(env, "list");
    expect(list.status).toBe(0);
    const operatorRow = list.out.split("\n").find((l) => l.includes("operator (first start)"))!;
    expect(operatorRow).toMatch(/OPERATOR\s+operator \(first start\)\s+lux_\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-$/);
    const id = operatorRow.split(/\s+/)[0];
    const revoked = keysCommand(env, "revoke", id);
    expect(revoked.status).toBe(0);
    expect(revoked.out).toContain(`revoked ${id}`);
    const created = keysCommand(env, "create", "--role", "OPERATOR", "--label", "back in");
    expect(created.status).toBe(0);
    expect(created.out).toMatch(/^lux_\S+$/m);
    const after = keysCommand(env, "list", "--party", "Luxor Hub operator");
    expect(after.out).toMatch(/OPERATOR\s+back in/);
    expect(after.out).toMatch(/operator \(first start\).*\d\d:\d\d\s*$/m); // revoked column set
  }, 240_000);

  it("npm run seed on a store never started prints the OPERATOR and demo keys as the first start does; the start after prints none, and the keys work", async () => {
    const dataDir = tmp();
    const port = await freePort();
    const env = hubEnv(dataDir, port);
    const seed = spawnSync(process.execPath, [SEED, "--declarations", "300"], { cwd: ROOT, env, encoding: "utf8", timeout: 180_000 });
    const out = `${seed.stdout}${seed.stderr}`;
    expect(seed.status).toBe(0);
    expect(out).toContain("API keys of this store's first start.");
    const keys = printedKeys(out);
    expect(keys.size).toBe(6);

    const hub = spawnHub(env);
    try {
      await until("ready", hub, () => ready(port));
      expect(printedKeys(hub.output()).size).toBe(0); // the setup was finished by the seed
      await expectWorkingKeys(port, keys);
    } finally {
      hub.child.kill("SIGTERM");
      expect(await hub.exited).toBe(0);
    }
  }, 240_000);
});
