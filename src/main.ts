// first: OpenTelemetry instruments http, pg and graphql as they load (only with OTEL_EXPORTER_OTLP_ENDPOINT)
import "./infra/tracing";
import "reflect-metadata";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./infra/logger";
import { startHub } from "./app";
import { printFirstStartKeys } from "./seed/setup";

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const running = await startHub(config, log, { showKeys: printFirstStartKeys });
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

// One clear line and a non-zero exit: 2 for configuration, 1 for anything else.
main().catch((err: unknown) => {
  console.error(`Luxor Hub did not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
