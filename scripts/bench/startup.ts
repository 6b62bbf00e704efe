// Section 4 of `npm run bench`: the first start on a fresh embedded store, a restart, and a
// fresh clone (`npm ci && npm start`), each to /readyz 200 and SIGTERM.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, heading, note, nowMs, table } from "./util";

interface StartResult {
  readyMs: number;
  stopMs: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

const REPO = path.resolve(__dirname, "..", "..", "..");

/** Starts the hub of `repo` (`node dist/src/main.js`, or `npm start` when asked) until /readyz is 200, then SIGTERM. */
async function startAndStop(dataDir: string, timeoutMs: number, repo = REPO, viaNpm = false): Promise<StartResult> {
  const port = await freePort();
  // The child gets a clean hub environment: embedded storage, defaults, no Redis.
  const env = { ...userEnv(), HUB_DATA_DIR: dataDir, PORT: String(port) };
  const t0 = nowMs();
  const child = viaNpm
    ? spawn("npm", ["start", "--silent"], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"], detached: true })
    : spawn(process.execPath, [path.join(repo, "dist", "src", "main.js")], { cwd: repo, env, stdio: ["ignore", "pipe", "pipe"] });
  // npm does not pass a SIGTERM on to the hub it started (the hub outlived the bench): under
  // npm, signal the whole process group, as a terminal's Ctrl-C or a service manager would.
  const stopWith = (sig: NodeJS.Signals) => {
    try {
      if (viaNpm && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => (done = true));
  try {
    let readyMs = -1;
    while (nowMs() - t0 < timeoutMs && !done) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) {
        readyMs = nowMs() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    if (readyMs < 0) throw new Error(`the hub was not ready within ${timeoutMs / 1000} s${done ? " (it exited)" : ""}:\n${output.slice(-2000)}`);
    const s0 = nowMs();
    stopWith("SIGTERM");
    const timer = setTimeout(() => stopWith("SIGKILL"), 45_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    return { readyMs, stopMs: nowMs() - s0, exitCode: code, signal, output };
  } finally {
    if (!done) stopWith("SIGKILL");
  }
}

/** The first start's phases, from the gaps between its log lines (pino's `time`, ms). */
function startupPhases(output: string): string {
  const lines = output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { time: number; msg: string });
  const at = (msg: string) => lines.find((l) => l.msg === msg)?.time;
  const span = (from: string, to: string) => {
    const a = at(from);
    const b = at(to);
    return a !== undefined && b !== undefined ? `${((b - a) / 1000).toFixed(2)} s` : "?";
  };
  return [
    `PGlite start (initdb) ${span("starting embedded PostgreSQL (PGlite)", "applying migrations")}`,
    `migrations ${span("applying migrations", "migrations applied")}`,
    `operator party, schema engine exit ${span("migrations applied", "first start: setting the store up")}`,
    `demo world ${span("first start: setting the store up", "demo world seeded")}`,
    `keys, schema, listen ${span("demo world seeded", "Luxor Hub listening")}`,
  ].join("; ");
}

/** A new user's shell: none of the bench's own settings (NODE_ENV=production would make npm ci skip dev tools). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(HUB_|DATABASE_URL|REDIS_URL|NODE_ENV|LOG_LEVEL|PORT$|npm_)/.test(k)) env[k] = v;
  return env;
}

/**
 * What a new user runs: a clone of this checkout's HEAD, `npm ci` (which builds), then
 * `npm start` to /readyz on the embedded store with the demo seed. npm's cache is warm on a
 * machine that installed before, as it would be for a second clone.
 */
async function freshClone(): Promise<{ installMs: number; start: StartResult }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-clone-"));
  try {
    execFileSync("git", ["clone", "--quiet", REPO, dir], { stdio: "ignore" });
    const t0 = nowMs();
    try {
      execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, env: userEnv(), stdio: "pipe", maxBuffer: 64 << 20 });
    } catch (err) {
      const out = err as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`npm ci in a fresh clone failed:\n${String(out.stderr ?? "").slice(-2000)}${String(out.stdout ?? "").slice(-1000)}`);
    }
    const installMs = nowMs() - t0;
    const start = await startAndStop(path.join(dir, ".hub-data"), 180_000, dir, true);
    return { installMs, start };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStartup(verdict: (v: { measure: string; figure: string; target: string; result: "PASS" | "MISS" | "info" }) => void): Promise<void> {
  heading("4. Startup: node dist/src/main.js, embedded storage, demo seed, to /readyz = 200");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "luxor-bench-"));
  try {
    const first = await startAndStop(dataDir, 180_000);
    const again = await startAndStop(dataDir, 120_000);
    const row = (name: string, r: StartResult) => [
      name,
      `${(r.readyMs / 1000).toFixed(2)} s`,
      `${(r.stopMs / 1000).toFixed(2)} s`,
      r.signal ? `signal ${r.signal}` : String(r.exitCode),
    ];
    console.log(
      table([
        ["start", "to /readyz 200", "SIGTERM to exit", "exit code"],
        row("fresh data dir (migrations + demo seed)", first),
        row("restart on the same data dir", again),
      ]),
    );
    note(`HUB_DATA_DIR=${dataDir} (removed afterwards), default configuration otherwise (HUB_SEED=demo, 3,000 declarations)`);
    const clone = await freshClone();
    const cloneFigure = `npm ci ${(clone.installMs / 1000).toFixed(1)} s, then npm start to /readyz ${(clone.start.readyMs / 1000).toFixed(2)} s`;
    note(`fresh clone of HEAD: ${cloneFigure} (exit ${clone.start.exitCode ?? clone.start.signal} on SIGTERM)`);
    verdict({
      measure: "Fresh clone: npm ci && npm start to /readyz",
      figure: cloneFigure,
      target: "report; start < 10 s",
      result: clone.start.readyMs < 10_000 ? "PASS" : "MISS",
    });
    note(`where the first start's time goes (from its log): ${startupPhases(first.output)}`);
    for (const r of [first, again]) {
      if (r.exitCode === 0) continue;
      // The log only (the demo keys of a throwaway store are of no interest here).
      const log = r.output.split("\n").filter((l) => l.startsWith("{")).slice(-3);
      note(`a start that did not exit 0 (exit ${r.exitCode ?? r.signal}); its last log lines:`);
      for (const l of log) note(`  ${l.slice(0, 200)}`);
    }
    verdict({
      measure: "Startup, fresh embedded store + demo seed",
      figure: `${(first.readyMs / 1000).toFixed(2)} s to ready (restart ${(again.readyMs / 1000).toFixed(2)} s)`,
      target: "< 10 s",
      result: first.readyMs < 10_000 ? "PASS" : "MISS",
    });
    const clean = first.exitCode === 0 && again.exitCode === 0;
    verdict({
      measure: "SIGTERM exits 0",
      figure: `exit ${first.exitCode ?? first.signal} / ${again.exitCode ?? again.signal}`,
      target: "exit 0",
      result: clean ? "PASS" : "MISS",
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
