import pino from "pino";

export type Logger = pino.Logger;

/** The hub's logger: JSON lines on stdout, or on `destination` (a file or stream) when given. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { service: "luxor-hub" }, redact: ["req.headers.authorization"] };
  return destination ? pino(options, destination) : pino(options);
}
