/** The request counter and latency histogram (src/infra/request-metrics.ts) expose what prom-client's own Counter and Histogram do. */
import client from "prom-client";
import { RequestMetrics } from "../src/infra/request-metrics";

const NAMES = { requests: "t_requests_total", duration: "t_duration_seconds" };
const HELP = { requests: "requests, by operation", duration: "durations, by operation" };
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same observations on RequestMetrics and on prom-client's Counter and Histogram. */
function both() {
  const ours = new client.Registry();
  const metrics = new RequestMetrics(NAMES, HELP, BUCKETS);
  metrics.register(ours);
  const theirs = new client.Registry();
  const counter = new client.Counter({ name: NAMES.requests, help: HELP.requests, labelNames: ["operation", "type", "code", "transport"], registers: [theirs] });
  const histogram = new client.Histogram({ name: NAMES.duration, help: HELP.duration, labelNames: ["operation", "type", "transport"], buckets: BUCKETS, registers: [theirs] });
  const observe = (operation: string, type: string, code: string, transport: string, seconds: number) => {
    metrics.observe(operation, type, code, transport, seconds);
    counter.inc({ operation, type, code, transport });
    histogram.observe({ operation, type, transport }, seconds);
  };
  return { ours, theirs, observe };
}

describe("request metrics", () => {
  it("expose the same text as prom-client's Counter and Histogram: series, labels, cumulative buckets, sums, order", async () => {
    const { ours, theirs, observe } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics()); // no series yet
    let x = 7;
    const random = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const operations = ["Clearance", "Who", "_anonymous", "_other", 'odd"na\\me\n'];
    const codes = ["OK", "NOT_FOUND", "UNAUTHENTICATED"];
    for (let i = 0; i < 2000; i++) {
      // durations on and around every bucket bound, above the last, and zero
      const bound = BUCKETS[Math.floor(random() * BUCKETS.length)];
      const seconds = [bound, bound * 0.999, bound * 1.001, 0, 12 + random(), random() / 100][Math.floor(random() * 6)];
      observe(operations[i % operations.length], i % 7 ? "query" : "unknown", codes[Math.floor(random() * codes.length)], i % 11 ? "http" : "ws", seconds);
    }
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('t_duration_seconds_bucket{le="0.0025",operation="Clearance",type="query",transport="http"}');
    expect(text).toContain('t_requests_total{operation="Who",type="query",code="OK",transport="http"}');
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
  });

  it("count each observation once, in the first bucket whose bound it does not exceed", async () => {
    const registry = new client.Registry();
    const metrics = new RequestMetrics(NAMES, HELP, [0.01, 0.1]);
    metrics.register(registry);
    for (const s of [0.01, 0.02, 0.1, 0.5]) metrics.observe("Q", "query", "OK", "http", s);
    metrics.observe("Q", "query", "NOT_FOUND", "http", 0.001);
    const text = await registry.metrics();
    const series = (s: string) => Number(text.split("\n").find((l) => l.startsWith(s + " "))?.slice(s.length + 1));
    expect(series('t_duration_seconds_bucket{le="0.01",operation="Q",type="query",transport="http"}')).toBe(2);
    expect(series('t_duration_seconds_bucket{le="0.1",operation="Q",type="query",transport="http"}')).toBe(4);
    expect(series('t_duration_seconds_bucket{le="+Inf",operation="Q",type="query",transport="http"}')).toBe(5);
    expect(series('t_duration_seconds_count{operation="Q",type="query",transport="http"}')).toBe(5);
    expect(series('t_duration_seconds_sum{operation="Q",type="query",transport="http"}')).toBeCloseTo(0.631, 10);
    expect(series('t_requests_total{operation="Q",type="query",code="OK",transport="http"}')).toBe(4);
    expect(series('t_requests_total{operation="Q",type="query",code="NOT_FOUND",transport="http"}')).toBe(1);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toMatch(/^t_/m);
  });
});
