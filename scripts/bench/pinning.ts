// CPU pinning and per-core accounting for section 2b (observability.ts). On a 2-core machine
// the load generator, PostgreSQL and the hub compete for both cores, and how the scheduler
// spreads them differs run to run (on/off ratios of five runs spread over 22 points). Pinned,
// the hub under test and the PostgreSQL backends serving it share one core and everything the
// bench itself runs (this process, the load generator it forks, the idle hub) the other: the
// hub's throughput is bounded by one core's CPU, and on vs off compares the work per request.
// Bench-side only: taskset (util-linux) on the processes from outside, the backends found by
// their application_name (set in the hub's database URL, which pg reads as a connection option).
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { Client } from "pg";

const execFileP = promisify(execFile);

/** "0,1" or "0-3,6" (taskset's list format) as CPU numbers. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (!Number.isInteger(a) || (b !== undefined && !Number.isInteger(b))) throw new Error(`not a CPU list: ${list}`);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** The CPUs a process (its main thread) may run on. */
function affinity(pid: number): number[] {
  const out = execFileSync("taskset", ["-p", "-c", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return parseCpuList(out.slice(out.lastIndexOf(":") + 1)); // "pid 12's current affinity list: 0,1"
}

/** Pins every thread of a process (threads it starts later inherit the mask). */
async function pin(pid: number, cpus: string): Promise<void> {
  await execFileP("taskset", ["-a", "-p", "-c", cpus, String(pid)]);
}

/** A process's CPU time so far, ms (/proc/<pid>/schedstat: ns on CPU, main thread; PostgreSQL backends have one). 0 once it is gone. */
export function threadCpuMs(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return 0;
  }
}

/** Busy time of each CPU so far, ms (/proc/stat; user, nice, system, irq, softirq, steal; 10 ms ticks). */
export function coreBusyMs(): Map<number, number> {
  const busy = new Map<number, number>();
  for (const line of fs.readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const [user, nice, system, , , irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
    busy.set(Number(m[1]), ((user + nice + system + irq + softirq + steal) * 1000) / 100);
  }
  return busy;
}

/** A hub whose backends are looked up by their application_name. */
export interface TrackedHub {
  pid: number;
  appName: string;
}

/**
 * The PostgreSQL backends of the bench's hubs (pg_stat_activity by application_name), through
 * a connection of its own. With pinning, it also pins them: those of the hub under test to the
 * hub's core, the others to the load core, polling for new ones while a round runs (the pool
 * opens connections as load arrives and closes them after 10 s idle).
 */
export class HubBackends {
  /** core of each backend pinned, by pid and start time (PostgreSQL may reuse a pid) */
  private readonly pinnedTo = new Map<string, number>();
  private poller: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private measuring = false;
  /** backends of the hub under test pinned while a round's measure ran (up to one poll late) */
  latePins = 0;

  private constructor(
    private readonly client: Client,
    readonly pinning: { hubCpu: number; loadCpu: number; original: string } | null,
  ) {}

  /** Pins this process and its future children to the load core when taskset can; `reason` says why not. */
  static async open(url: string): Promise<{ backends: HubBackends; reason: string | null }> {
    const client = new Client({ connectionString: url, application_name: `luxor_bench_2b_monitor_${process.pid}` });
    await client.connect();
    let reason: string | null = null;
    let pinning: HubBackends["pinning"] = null;
    try {
      if (process.platform !== "linux") throw new Error(`${process.platform}, not Linux`);
      const cpus = affinity(process.pid);
      if (cpus.length < 2) throw new Error(`this process may use only CPU ${cpus.join(",")}`);
      pinning = { hubCpu: cpus[cpus.length - 1], loadCpu: cpus[0], original: cpus.join(",") };
      await pin(process.pid, String(pinning.loadCpu));
      if (affinity(process.pid).join(",") !== String(pinning.loadCpu)) throw new Error("taskset did not pin this process");
      const [{ pid }] = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
      await pin(pid, String(pinning.loadCpu)); // needs root or the postgres user: fails early if not
    } catch (err) {
      if (pinning) await pin(process.pid, pinning.original).catch(() => undefined);
      pinning = null;
      const e = err as NodeJS.ErrnoException;
      reason = e.code === "ENOENT" ? "taskset (util-linux) not found" : e.message.split("\n")[0];
    }
    return { backends: new HubBackends(client, pinning), reason };
  }

  /** Backends of a hub now. */
  async of(hub: TrackedHub): Promise<{ pid: number; key: string }[]> {
    const sql = "SELECT pid, backend_start::text AS started FROM pg_stat_activity WHERE application_name = $1";
    const { rows } = await this.client.query<{ pid: number; started: string }>(sql, [hub.appName]);
    return rows.map((r) => ({ pid: r.pid, key: `${r.pid}@${r.started}` }));
  }

  /** Before a round: `active` (process and backends) to the hub core, `idle` to the load core; keeps new backends pinned until endRound. */
  async beginRound(active: TrackedHub, idle: TrackedHub): Promise<void> {
    const p = this.pinning;
    if (!p) return;
    this.measuring = false;
    await pin(active.pid, String(p.hubCpu));
    await pin(idle.pid, String(p.loadCpu));
    await this.sync(active, idle);
    this.poller = setInterval(() => (this.polling = this.polling.then(() => this.sync(active, idle))), 250);
  }

  /** When the round's measure begins (after the load generator's priming has opened the pool): pins what is new, counts later pins. */
  async beginMeasure(active: TrackedHub, idle: TrackedHub): Promise<void> {
    if (!this.pinning) return;
    await (this.polling = this.polling.then(() => this.sync(active, idle)));
    this.measuring = true;
  }

  async endRound(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.measuring = false;
    await this.polling;
  }

  private async sync(active: TrackedHub, idle: TrackedHub): Promise<void> {
    const p = this.pinning!;
    for (const [hub, cpu] of [[active, p.hubCpu], [idle, p.loadCpu]] as const) {
      for (const { pid, key } of await this.of(hub)) {
        if (this.pinnedTo.get(key) === cpu) continue;
        try {
          await pin(pid, String(cpu));
        } catch (err) {
          if (fs.existsSync(`/proc/${pid}`)) throw err; // else it closed meanwhile
          continue;
        }
        this.pinnedTo.set(key, cpu);
        if (this.measuring && hub === active) this.latePins++;
      }
    }
  }

  /** Gives this process back the CPUs it had (the hubs' backends end with the hubs). */
  async close(): Promise<void> {
    await this.endRound();
    if (this.pinning) await pin(process.pid, this.pinning.original).catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }
}
