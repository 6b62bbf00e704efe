// Small helpers for scripts/bench.ts and its sections: tables, statistics, scratch databases, processes.
import { execFileSync, fork } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client, Pool } from "pg";
import type { LoadJob, LoadReport } from "./load";
import { adminQuery, withDatabase } from "../../src/infra/postgres-admin";

// ---- output --------------------------------------------------------------------------

/** One line of the summary table at the end of a run. */
export interface Verdict {
  measure: string;
  figure: string;
  target: string;
  result: "PASS" | "MISS" | "info";
}

/** A plain-text table: first row is the header; columns after the first are right-aligned. */
export function table(rows: (string | number)[][], opts: { leftColumns?: number } = {}): string {
  const left = opts.leftColumns ?? 1;
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return ["", ...[line(cells[0]), rule, ...cells.slice(1).map(line)].map((l) => `  ${l}`), ""].join("\n");
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString("en");
export const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const fmtS = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "-");
export const MB = 1024 * 1024;
export const fmtMB = (b: number) => `${(b / MB).toFixed(0)} MB`;
/** p50 / p99 / max of sorted milliseconds. */
export const pq = (xs: Float64Array) => (xs.length ? `${fmtMs(percentile(xs, 50))} / ${fmtMs(percentile(xs, 99))} / ${fmtMs(xs[xs.length - 1])}` : "-");

/** Section heading, with the 1-minute load average (ours and anything else running). */
export function heading(text: string): void {
  const load = `[load ${os.loadavg()[0].toFixed(1)} / ${os.cpus().length} CPUs]`;
  console.log(`\n== ${text} ${"=".repeat(Math.max(2, 92 - text.length - load.length))} ${load}`);
}

export function note(text: string): void {
  console.log(`  ${text}`);
}

// ---- statistics ----------------------------------------------------------------------

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The p-th percentile of sorted values (nearest rank); NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// ---- PostgreSQL ----------------------------------------------------------------------

async function reachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Checks the server answers; when it does not, tries once to start the local cluster. */
export async function ensurePostgres(url: string): Promise<void> {
  if (await reachable(url)) return;
  const clusters = fs.existsSync("/etc/postgresql") ? fs.readdirSync("/etc/postgresql") : [];
  if (clusters.length) {
    note(`PostgreSQL does not answer at ${url}; trying pg_ctlcluster ${clusters[0]} main start`);
    try {
      execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", clusters[0], "main", "start"], { stdio: "inherit", timeout: 60_000 });
    } catch {
      /* reported below */
    }
    for (let i = 0; i < 30; i++) {
      if (await reachable(url)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(
    `PostgreSQL is not reachable at ${url}. Start it (e.g. pg_ctlcluster --skip-systemctl-redirect <version> main start) ` +
      "or point BENCH_DATABASE_URL at a server where the user may create databases.",
  );
}

/** Scratch databases created by this run, dropped by dropAll() whatever happens. */
export class ScratchDatabases {
  private readonly names = new Set<string>();
  constructor(private readonly adminUrl: string, private readonly prefix: string) {}

  async create(label: string): Promise<string> {
    const name = `${this.prefix}_${label}`;
    await adminQuery(this.adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await adminQuery(this.adminUrl, `CREATE DATABASE "${name}"`);
    this.names.add(name);
    return withDatabase(this.adminUrl, name);
  }

  async drop(url: string): Promise<void> {
    const name = new URL(url).pathname.slice(1);
    await adminQuery(this.adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    this.names.delete(name);
  }

  async dropAll(): Promise<string[]> {
    const dropped: string[] = [];
    for (const name of [...this.names]) {
      try {
        await adminQuery(this.adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        this.names.delete(name);
        dropped.push(name);
      } catch (err) {
        console.error(`  could not drop database ${name}: ${(err as Error).message}`);
      }
    }
    return dropped;
  }
}

// ---- processes -----------------------------------------------------------------------

/** A TCP port nobody listens on right now (loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs one autocannon job in a child process (scripts/bench/load.ts) and returns its report.
 * `beforeStart` runs once the child has started, just before its load begins.
 */
export function runLoad(job: LoadJob, beforeStart?: () => Promise<void>): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, "load.js"), [], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let settled = false;
    const settle = (err: Error | null, report?: LoadReport) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      if (err) {
        child.kill("SIGKILL");
        reject(err);
      } else resolve(report!);
    };
    const limitSeconds = job.durationSeconds + (job.primeSeconds ?? 0) + 60;
    const guard = setTimeout(() => settle(new Error(`load generator for "${job.title}" did not finish in time`)), limitSeconds * 1000);
    child.on("message", (msg: { ready?: boolean; ok?: boolean; report?: LoadReport; error?: string }) => {
      if (msg.ready) {
        beforeStart!().then(() => child.send("go"), (err: Error) => settle(err));
      } else if (msg.ok) settle(null, msg.report!);
      else settle(new Error(`load generator failed: ${msg.error}`));
    });
    child.once("exit", (code) => settle(new Error(`load generator exited with code ${code} before reporting`)));
    child.send(beforeStart ? { ...job, handshake: true } : job);
  });
}

/** A pg pool whose clients count every statement they send (for "SQL statements per ..." figures). */
export function countingPool(connectionString: string, max: number): { pool: Pool; statements(): number } {
  let statements = 0;
  const pool = new Pool({ connectionString, max });
  pool.on("connect", (client) => {
    const query = client.query;
    client.query = function (this: unknown, ...args: unknown[]) {
      statements++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof client.query;
  });
  return { pool, statements: () => statements };
}
