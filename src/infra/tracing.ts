/*
 * OpenTelemetry tracing (README "Observability"), on only when the standard
 * OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. main.ts
 * imports this module first: instrumentation patches http, pg and graphql as they are
 * loaded, so it must be in place before anything requires them. Unset, nothing of
 * OpenTelemetry is loaded. The exporter reads the other OTEL_EXPORTER_OTLP_* variables itself.
 */
import type { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** Requests that are not worth a trace: probes and scrapes. */
const UNTRACED_PATHS = new Set(["/metrics", "/healthz", "/readyz"]);

let provider: NodeTracerProvider | null = null;

function startTracing(endpoint: string, env: NodeJS.ProcessEnv): NodeTracerProvider {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is on */
  const { NodeTracerProvider: Provider, BatchSpanProcessor } = require("@opentelemetry/sdk-trace-node") as typeof import("@opentelemetry/sdk-trace-node");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  const { resourceFromAttributes } = require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  const { registerInstrumentations } = require("@opentelemetry/instrumentation") as typeof import("@opentelemetry/instrumentation");
  const { HttpInstrumentation } = require("@opentelemetry/instrumentation-http") as typeof import("@opentelemetry/instrumentation-http");
  const { GraphQLInstrumentation } = require("@opentelemetry/instrumentation-graphql") as typeof import("@opentelemetry/instrumentation-graphql");
  const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg") as typeof import("@opentelemetry/instrumentation-pg");
  /* eslint-enable @typescript-eslint/no-require-imports */
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    url = new URL("invalid:");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL of an OTLP/HTTP collector (got "${endpoint}")`);
  }
  const tracer = new Provider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "luxor-hub" }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  tracer.register();
  registerInstrumentations({
    tracerProvider: tracer,
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? "").split("?")[0]) }),
      // no argument values in spans (allowValues defaults to false); resolver spans for top-level fields only
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, mergeItems: true, depth: 1 }),
      // statements without their values; only within a traced request (not the background pollers)
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  return tracer;
}

/** Sends the spans still buffered; called when the hub stops. */
export async function flushTracing(): Promise<void> {
  await provider?.shutdown().catch(() => undefined);
}

export function tracingEnabled(): boolean {
  return provider !== null;
}

const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) {
  try {
    provider = startTracing(endpoint, process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
