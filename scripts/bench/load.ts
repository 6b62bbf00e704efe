// Load generator for scripts/bench.ts, run as a child process (child_process.fork) so that
// autocannon's own work does not share an event loop with the server it measures.
//
// The parent sends one LoadJob message; the child answers with one LoadReport and exits (with
// `handshake`, it first answers { ready } and starts the load on the parent's next message).
// Each request is a JSON POST whose body names the next tracking number of a shared list
// (autocannon `requests` + `setupRequest`); a response counts as good only when it is a
// 200 whose body carries `"data"` and no `"errors"`.
import autocannon from "autocannon";

export interface LoadJob {
  title: string;
  url: string;
  headers: Record<string, string>;
  /** request body with the literal placeholder __TN__ where the tracking number goes */
  bodyTemplate: string;
  trackingNumbers: string[];
  connections: number;
  durationSeconds: number;
  /** with a handshake: load run first, unmeasured, so that the server's pool is open when the measure begins */
  primeSeconds?: number;
}

export interface LoadReport {
  title: string;
  requestsPerSecond: number;
  /** completed requests over the run's duration (cross-check of the sampled mean) */
  completedPerSecond: number;
  latencyP50: number;
  latencyP90: number;
  latencyP99: number;
  latencyMean: number;
  completed: number;
  good: number;
  bad: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  firstBadBody: string | null;
}

function run(job: LoadJob): Promise<LoadReport> {
  const [before, after] = job.bodyTemplate.split("__TN__");
  if (after === undefined) throw new Error("bodyTemplate needs a __TN__ placeholder");
  const tns = job.trackingNumbers.map((tn) => JSON.stringify(tn).slice(1, -1));
  let next = 0;
  let good = 0;
  let bad = 0;
  let firstBadBody: string | null = null;

  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.durationSeconds,
        timeout: 10,
        method: "POST",
        headers: job.headers,
        requests: [
          {
            method: "POST",
            setupRequest: (req) => {
              const tn = tns[next++ % tns.length];
              return { ...req, body: before + tn + after };
            },
            onResponse: (status, body) => {
              const ok = status === 200 && body.includes('"data"') && !body.includes('"errors"');
              if (ok) good++;
              else {
                bad++;
                firstBadBody ??= `${status} ${body.slice(0, 400)}`;
              }
            },
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          title: job.title,
          requestsPerSecond: r.requests.average,
          completedPerSecond: r.requests.total / r.duration,
          latencyP50: r.latency.p50,
          latencyP90: r.latency.p90,
          latencyP99: r.latency.p99,
          latencyMean: r.latency.average,
          completed: r.requests.total,
          good,
          bad,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          durationSeconds: r.duration,
          firstBadBody,
        });
      },
    );
  });
}

if (require.main === module) {
  process.once("message", (job: LoadJob & { handshake?: boolean }) => {
    const go = () =>
      run(job).then(
        (report) => process.send!({ ok: true, report }, () => process.exit(0)),
        (err: unknown) => process.send!({ ok: false, error: String((err as Error)?.stack ?? err) }, () => process.exit(1)),
      );
    if (!job.handshake) return void go();
    // started (and primed), then waits for "go": the parent reads its counters after this process's own start-up
    const prime = job.primeSeconds ? run({ ...job, durationSeconds: job.primeSeconds }) : Promise.resolve(null);
    prime.then(
      () => {
        process.once("message", go);
        process.send!({ ready: true });
      },
      (err: unknown) => process.send!({ ok: false, error: String((err as Error)?.stack ?? err) }, () => process.exit(1)),
    );
  });
}
