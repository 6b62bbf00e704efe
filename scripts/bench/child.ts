// Child processes of the bench sections (clients, writers, receivers: their CPU is not the
// hub's): the parent's handle on one, and the clocks and columns the children record with.
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { performance } from "node:perf_hooks";

/** Epoch ms with sub-millisecond resolution, comparable across processes on this machine. */
export const epochMs = () => performance.timeOrigin + performance.now();

/** This process's CPU time so far, ms. */
export const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** A growable column of numbers. */
export class Column<T extends Int32Array | Float64Array | Uint8Array> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/**
 * A child process running one of this folder's scripts (its compiled .js): the parent sends
 * a job or commands, the child answers each with one message, in order. A `{ type: "failed" }`
 * message or an exit fails whatever waits.
 */
export class ClientProcess {
  private readonly child: ChildProcess;
  private readonly answers: unknown[] = [];
  private waiter: ((m: unknown) => void) | null = null;
  private failure: Error | null = null;

  constructor(
    script: string,
    private readonly label: string,
    opts: { job?: object; execArgv?: string[] } = {},
  ) {
    this.child = fork(path.join(__dirname, script), [], {
      execArgv: opts.execArgv ?? [],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.child.on("message", (m: { type?: string; error?: string }) => {
      if (m?.type === "failed") this.fail(new Error(`${label} process failed: ${m.error}`));
      else if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(m);
      } else this.answers.push(m);
    });
    this.child.on("exit", (code, signal) => this.fail(new Error(`${label} process exited (${code ?? signal})`)));
    if (opts.job !== undefined) this.child.send(opts.job);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = null;
    w?.(undefined);
  }

  /** The next answer (or the failure). */
  next<T>(timeoutMs: number): Promise<T> {
    if (this.answers.length) return Promise.resolve(this.answers.shift() as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`${this.label} process did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiter = (m) => {
        clearTimeout(timer);
        if (m === undefined && this.failure) reject(this.failure);
        else resolve(m as T);
      };
    });
  }

  /** Sends one command and waits for its answer. */
  ask<T>(msg: object, timeoutMs = 60_000): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    this.child.send(msg);
    return this.next<T>(timeoutMs);
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(): void {
    this.child.removeAllListeners("exit");
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}
