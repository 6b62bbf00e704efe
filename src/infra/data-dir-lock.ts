import fs from "node:fs";
import path from "node:path";

const LOCK_FILE = "hub.lock";
/** Folders this process holds (a second open in the same process is refused too). */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
    holder: string,
  ) {
    super(
      `The embedded database in ${dir} is in use by process ${holderPid} (${holder}). ` +
        `Only one process may open it: stop that process first (e.g. \`kill ${holderPid}\`), ` +
        `or set HUB_DATA_DIR to another folder, or run the hub on PostgreSQL (DATABASE_URL).`,
    );
    this.name = "DataDirLockedError";
  }
}

interface Holder {
  pid: number;
  command?: string;
  since?: string;
}

/** Whether `pid` is a live Node process (a stale lock's pid may have been reused by another program). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return /node/i.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as Holder;
    return Number.isInteger(h.pid) ? h : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/**
 * Takes `<dir>/hub.lock` for this process, or throws DataDirLockedError naming the live
 * holder. A lock left by a process that died (kill -9, power loss) is taken over.
 * Returns the release function (also run when the process exits).
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const me: Holder = { pid: process.pid, command: process.argv.slice(1).map((a) => path.basename(a)).join(" "), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw err;
      const holder = readHolder(file);
      const ours = holder?.pid === process.pid;
      if (holder && ((ours && held.has(dir)) || (!ours && alive(holder.pid)))) {
        throw new DataDirLockedError(dir, holder.pid, `${holder.command ?? "unknown command"}, since ${holder.since ?? "?"}`);
      }
      fs.rmSync(file, { force: true }); // stale
    }
  }
  held.add(dir);
  const release = () => {
    process.removeListener("exit", release);
    if (!held.delete(dir)) return;
    if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  process.on("exit", release);
  return release;
}
