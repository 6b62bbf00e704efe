import type client from "prom-client";

/** One series of the request counter: its labels (in exposition order) and its count. */
interface CountSeries {
  labels: { operation: string; type: string; code: string; transport: string };
  value: number;
}

/** One series of the latency histogram: per-bucket (not cumulative) counts, sum and count. */
interface LatencySeries {
  labels: { operation: string; type: string; transport: string };
  buckets: Float64Array;
  sum: number;
  count: number;
}

const SEP = "\u0000"; // cannot occur in a label value the hub uses (operation names are GraphQL names)

/**
 * hub_graphql_requests_total and hub_graphql_request_duration_seconds, counted on the
 * request path in plain Maps (a precomputed key, a Map lookup and a few additions) and handed
 * to prom-client as metric objects that it formats at scrape time. A prom-client Counter and
 * Histogram validate and hash their label set on every inc()/observe() (about 7 µs of each
 * request together; README "Observability", cost). The values given to prom-client are the
 * ones its own Counter and Histogram give for the same observations, in the same order, so the
 * exposition is unchanged (test/request-metrics.test.ts compares them).
 */
export class RequestMetrics {
  private readonly counts = new Map<string, CountSeries>();
  private readonly latencies = new Map<string, LatencySeries>();
  private readonly bounds: Float64Array;

  constructor(
    private readonly names: { requests: string; duration: string },
    private readonly help: { requests: string; duration: string },
    buckets: readonly number[],
  ) {
    this.bounds = Float64Array.from(buckets); // in the given order, as prom-client takes them
  }

  /** One request: its labels and its duration in seconds. */
  observe(operation: string, type: string, code: string, transport: string, seconds: number): void {
    const key = operation + SEP + type + SEP + transport;
    let latency = this.latencies.get(key);
    if (latency === undefined) {
      latency = { labels: { operation, type, transport }, buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
      this.latencies.set(key, latency);
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]) {
        latency.buckets[i]++;
        break;
      }
    }
    latency.sum += seconds;
    latency.count++;
    const countKey = key + SEP + code;
    const count = this.counts.get(countKey);
    if (count === undefined) this.counts.set(countKey, { labels: { operation, type, code, transport }, value: 1 });
    else count.value++;
  }

  /** Registers both metrics on `registry` (prom-client formats them on every scrape). */
  register(registry: client.Registry): void {
    // prom-client's registry takes any object with its metrics' shape (name, help, type,
    // get(), reset()); its TypeScript types name only its own classes.
    registry.registerMetric(this.counterMetric() as unknown as client.Metric);
    registry.registerMetric(this.histogramMetric() as unknown as client.Metric);
  }

  private counterMetric() {
    const { names, help, counts } = this;
    return {
      name: names.requests,
      help: help.requests,
      type: "counter" as const,
      aggregator: "sum" as const,
      get: async () => ({
        name: names.requests,
        help: help.requests,
        type: "counter" as const,
        aggregator: "sum" as const,
        values: [...counts.values()].map((s) => ({ value: s.value, labels: { ...s.labels } })),
      }),
      reset: () => counts.clear(),
    };
  }

  private histogramMetric() {
    const { names, help, latencies } = this;
    const meta = { name: names.duration, help: help.duration, type: "histogram" as const, aggregator: "sum" as const };
    // as prom-client's Histogram.getForPromString: per series, the cumulative buckets (label
    // `le`, the series' labels shared), +Inf, _sum and _count
    const forPromString = () => {
      const values: { labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string; exemplar?: null }[] = [];
      for (const s of latencies.values()) {
        let acc = 0;
        for (let i = 0; i < this.bounds.length; i++) {
          acc += s.buckets[i];
          values.push({ labels: { le: this.bounds[i] }, sharedLabels: s.labels, value: acc, metricName: `${names.duration}_bucket`, exemplar: null });
        }
        values.push({ labels: { le: "+Inf" }, sharedLabels: s.labels, value: s.count, metricName: `${names.duration}_bucket`, exemplar: null });
        values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${names.duration}_sum`, exemplar: undefined });
        values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${names.duration}_count`, exemplar: undefined });
      }
      return values;
    };
    return {
      ...meta,
      getForPromString: async () => ({ ...meta, values: forPromString() }),
      // as Histogram.get(): the shared labels merged into each value's labels
      get: async () => ({
        ...meta,
        values: forPromString().map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
      }),
      reset: () => latencies.clear(),
    };
  }
}
