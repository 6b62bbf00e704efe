import pino from "pino";

export type Logger = pino.Logger;

/**
 * Bytes of log lines gathered before one write (about 200 request lines); a quiet hub's lines
 * still leave within FLUSH_MS. Each write costs a thread-pool round trip of some 30-60 µs CPU
 * whatever its size, which at 4 KB (14 lines) was still 2-4 µs per request.
 */
const BATCH_BYTES = 64 * 1024;
const FLUSH_MS = 250;

/** Where the hub's lines go: pino calls write() once per line. */
export interface LogDestination extends pino.DestinationStream {
  /** writes what is gathered, now (synchronously: for exit, and benches that count lines) */
  flushSync(): void;
  flush(cb?: (err?: Error) => void): void;
}

/**
 * Where the hub's JSON lines go: stdout (fd 1) or a file, written asynchronously in batches
 * of up to BATCH_BYTES. Each line is encoded into the batch's buffer as it comes (its string
 * is garbage at once, rather than kept until the batch is written), and sonic-boom is handed
 * the batch as a Buffer (contentMode "buffer"): handed a string, it measured it
 * (Buffer.byteLength), encoded it to write it and encoded it again once written
 * (releaseWritingBuf), three passes over each 64 KB. The lines are gathered here, not by
 * sonic-boom's `minLength`, which re-measures its whole pending buffer on every line. One
 * write per line (pino's default) cost a system call and a thread-pool round trip per
 * request. Lines still gathered are written on exit; a process killed with SIGKILL loses at
 * most the last FLUSH_MS of lines.
 */
export function logDestination(dest: number | string = 1): LogDestination {
  const out = pino.destination({ dest, sync: false, mkdir: typeof dest === "string", contentMode: "buffer" });
  // in contentMode "buffer" sonic-boom's write() takes Buffers (its types name strings only)
  const put = (bytes: Buffer) => out.write(bytes as unknown as string);
  let batch = Buffer.allocUnsafe(BATCH_BYTES);
  let size = 0;
  const drain = () => {
    if (size === 0) return;
    const full = batch.subarray(0, size);
    batch = Buffer.allocUnsafe(BATCH_BYTES); // sonic-boom keeps `full` until it is written
    size = 0;
    put(full);
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
      const most = line.length * 3; // UTF-8 bytes of a UTF-16 unit: at most 3
      if (size + most > BATCH_BYTES) {
        drain();
        if (most > BATCH_BYTES) return void put(Buffer.from(line)); // a line too long for a batch goes alone
      }
      size += batch.write(line, size);
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

/** A field value of a prepared line: as pino writes it (undefined: the field is left out). */
export type LineValue = string | number | boolean | null | undefined;

/**
 * One kind of log line, prepared once: `write(values)` writes the line pino writes for
 * `logger[level](fields, msg)` (same level, time, bindings, fields in order, message and end),
 * built by concatenation and handed to the logger's own destination. For a line written on
 * every request: pino's general path (its argument handling, the object walk, per-key
 * serializer and redaction lookups) costs several µs per line in a live hub (README
 * "Observability", cost). A logger configured in a way this does not reproduce (mixin, log
 * formatter, hooks, nested key, message prefix, serializers or redaction of these keys, a
 * stream that wants metadata) gets `logger[level](fields, msg)` instead.
 */
export function preparedLine(logger: Logger, level: pino.Level, msg: string, keys: readonly string[]): (values: readonly LineValue[]) => void {
  const s = pino.symbols;
  const l = logger as unknown as Record<symbol, unknown>;
  const serializers = (l[s.serializersSym] ?? {}) as Record<string, unknown>;
  const stringifiers = (l[s.stringifiersSym] ?? {}) as Record<string | symbol, unknown>;
  const formatters = (l[s.formattersSym] ?? {}) as { log?: unknown };
  const hooks = (l[s.hooksSym] ?? {}) as { logMethod?: unknown; streamWrite?: unknown };
  const stream = l[s.streamSym] as pino.DestinationStream & { [k: symbol]: unknown };
  const general =
    l[s.mixinSym] !== undefined ||
    formatters.log !== undefined ||
    hooks.logMethod !== undefined ||
    hooks.streamWrite !== undefined ||
    l[s.nestedKeySym] ||
    logger.msgPrefix !== undefined ||
    stringifiers[s.wildcardFirstSym] !== undefined ||
    [...keys, l[s.messageKeySym] as string].some((k) => serializers[k] !== undefined || stringifiers[k] !== undefined) ||
    stream?.[s.needsMetadataGsym] === true ||
    typeof stream?.write !== "function";
  if (general) {
    return (values) => {
      if (!logger.isLevelEnabled(level)) return;
      const fields: Record<string, LineValue> = {};
      keys.forEach((k, i) => (fields[k] = values[i]));
      logger[level](fields, msg);
    };
  }
  const levelValue = logger.levels.values[level];
  const prefixes = keys.map((k) => "," + JSON.stringify(k) + ":");
  const tail = "," + JSON.stringify(l[s.messageKeySym]) + ":" + JSON.stringify(msg) + (l[s.endSym] as string);
  const lsCache = l[s.lsCacheSym] as Record<number, string>;
  const time = l[s.timeSym] as () => string;
  return (values) => {
    if (logger.levelVal > levelValue) return;
    let line = lsCache[levelValue] + time() + (l[s.chindingsSym] as string);
    for (let i = 0; i < prefixes.length; i++) {
      const v = values[i];
      if (v === undefined) continue;
      line += prefixes[i] + (typeof v === "string" ? JSON.stringify(v) : typeof v === "number" && !Number.isFinite(v) ? "null" : String(v));
    }
    stream.write(line + tail);
  };
}
