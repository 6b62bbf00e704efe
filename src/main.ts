// first: OpenTelemetry instruments http, pg and graphql as they load (only with OTEL_EXPORTER_OTLP_ENDPOINT)
import "./infra/tracing";
import "reflect-metadata";
import { loadConfig } from "./config";
import { createLogger } from "./infra/logger";
import { startHub } from "./app";

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const running = await startHub(config, log);
  if (running.demoKeys) {
    // Printed once: keys are stored hashed and cannot be shown again.
    console.log("\nDemo API keys (send as `Authorization: Bearer <key>`):");
    for (const k of running.demoKeys) console.log(`  ${k.role.padEnd(8)} ${k.party.padEnd(34)} ${k.secret}`);
    console.log("");
  }
  console.log(`Luxor Hub ready at ${running.server.url}`);

  let signalled = false;
  const shutdown = async (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, "draining");
    const force = setTimeout(() => {
      log.error("drain took longer than 30s; exiting");
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await running.stop();
      log.info("stopped cleanly");
      process.exit(0);
    } catch (err) {
      log.error({ err }, "error while stopping");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
