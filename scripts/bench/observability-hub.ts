// One hub of section 2b (scripts/bench/observability.ts) in a process of its own, as a
// deployment runs it: what metrics turn on is process-wide (prom-client's default metrics
// watch every garbage collection and the event loop), so with both hubs in one process the
// "off" hub paid for part of the "on" hub's metrics, and the two shared their compiled code
// and heap. Forked by ClientProcess (child.ts): the job starts the hub and is answered with
// its URL; then each command with one message.
import "reflect-metadata";
import { createLogger, logDestination } from "../../src/infra/logger";
import { cpuMs } from "./child";
import { startBenchHub, type BenchHub } from "./hub";

export interface HubJob {
  databaseUrl: string;
  /** production settings (HUB_METRICS, HUB_REQUEST_LOG, LOG_LEVEL) */
  env: Record<string, string>;
  /** where the hub's log lines go, as a deployment's go to stdout */
  logFile: string;
}
export type HubCommand = { cmd: "cpu" } | { cmd: "flush" } | { cmd: "stop" };

if (require.main === module) {
  process.env.NODE_ENV = "production";
  process.once("message", (job: HubJob) => {
    const fail = (err: unknown) => process.send!({ type: "failed", error: String((err as Error)?.stack ?? err) }, () => process.exit(1));
    const destination = logDestination(job.logFile);
    let hub: BenchHub;
    startBenchHub(job.databaseUrl, { http: true, env: job.env, log: createLogger(job.env.LOG_LEVEL ?? "info", destination) }).then((h) => {
      hub = h;
      process.send!({ url: h.server!.url });
    }, fail);
    process.on("message", (c: HubCommand) => {
      if (c.cmd === "cpu") process.send!({ cpuMs: cpuMs() });
      else if (c.cmd === "flush") destination.flush((err) => (err ? fail(err) : process.send!({ flushed: true }))); else if (c.cmd === "stop") {
        hub.stop().then(() => {
          destination.flushSync();
          process.send!({ stopped: true }, () => process.exit(0));
        }, fail);
      }
    });
  });
}
