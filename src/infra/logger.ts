import pino from "pino";

export type Logger = pino.Logger;

/** Bytes of log lines gathered before one write; a quiet hub's lines still leave within FLUSH_MS. */
const BATCH_BYTES = 4096;
const FLUSH_MS = 250;

/**
 * Where the hub's JSON lines go: stdout (fd 1) or a file, written asynchronously in batches.
 * One write per line (pino's default) cost a system call and a thread-pool round trip per
 * request, most of the request log's cost under load (bench section 2b). Lines still
 * buffered are written on exit (pino registers that for asynchronous destinations); a
 * process killed with SIGKILL loses at most the last FLUSH_MS of lines.
 */
export function logDestination(dest: number | string = 1): ReturnType<typeof pino.destination> {
  const stream = pino.destination({ dest, sync: false, minLength: BATCH_BYTES, mkdir: typeof dest === "string" });
  const timer = setInterval(() => {
    try {
      stream.flush();
    } catch {
      clearInterval(timer); // destroyed
    }
  }, FLUSH_MS);
  timer.unref();
  stream.on("close", () => clearInterval(timer));
  return stream;
}

/** The hub's logger: JSON lines on stdout, or on `destination` (a file or stream) when given. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: "luxor-hub" }, redact: ["req.headers.authorization"] };
  if (destination) return pino(options, destination);
  return level === "silent" ? pino(options) : pino(options, logDestination());
}
