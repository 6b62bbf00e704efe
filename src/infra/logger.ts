import pino from "pino";

export type Logger = pino.Logger;

/** Bytes of log lines gathered before one write; a quiet hub's lines still leave within FLUSH_MS. */
const BATCH_BYTES = 4096;
const FLUSH_MS = 250;

/** Where the hub's lines go: pino calls write() once per line. */
export interface LogDestination extends pino.DestinationStream {
  /** writes what is gathered, now (synchronously: for exit, and benches that count lines) */
  flushSync(): void;
  flush(cb?: (err?: Error) => void): void;
}

/**
 * Where the hub's JSON lines go: stdout (fd 1) or a file, written asynchronously in batches
 * of BATCH_BYTES. One write per line (pino's default) cost a system call and a thread-pool
 * round trip per request. The lines are gathered here, not by sonic-boom's `minLength`:
 * sonic-boom measures its whole pending buffer (Buffer.byteLength of a string it just grew)
 * on every line, copying up to 16 KB per request (bench section 2b; README "Observability").
 * Lines still gathered are written on exit; a process killed with SIGKILL loses at most the
 * last FLUSH_MS of lines.
 */
export function logDestination(dest: number | string = 1): LogDestination {
  const out = pino.destination({ dest, sync: false, mkdir: typeof dest === "string" });
  let lines: string[] = [];
  let size = 0;
  const drain = () => {
    if (size === 0) return;
    const text = lines.length === 1 ? lines[0] : lines.join("");
    lines = [];
    size = 0;
    out.write(text);
  };
  const timer = setInterval(() => {
    try {
      drain();
    } catch {
      clearInterval(timer); // destroyed
    }
  }, FLUSH_MS);
  timer.unref();
  const destination: LogDestination = {
    write(line: string) {
      lines.push(line);
      size += line.length; // UTF-16 units: a threshold, not an exact byte count
      if (size >= BATCH_BYTES) drain();
    },
    flushSync() {
      drain();
      out.flushSync();
    },
    flush(cb) {
      drain();
      out.flush(cb);
    },
  };
  const onExit = () => {
    try {
      destination.flushSync();
    } catch {
      /* closed */
    }
  };
  process.once("exit", onExit);
  out.on("close", () => {
    clearInterval(timer);
    process.removeListener("exit", onExit);
  });
  return destination;
}

/** The hub's logger: JSON lines on stdout, or on `destination` (a file or stream) when given. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: "luxor-hub" }, redact: ["req.headers.authorization"] };
  if (destination) return pino(options, destination);
  return level === "silent" ? pino(options) : pino(options, logDestination());
}
