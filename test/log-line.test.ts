/** preparedLine (src/infra/logger.ts): the line pino writes for the same fields, or pino itself. */
import pino from "pino";
import { createLogger, preparedLine, type LineValue } from "../src/infra/logger";

const KEYS = ["transport", "operation", "type", "event", "partyId", "durationMs", "code", "status"];

/** Lines written through `make`'s logger: by preparedLine and by logger.info, for the same values. */
function bothWays(make: (dest: pino.DestinationStream) => pino.Logger, values: LineValue[]) {
  const lines: string[] = [];
  const log = make({ write: (s: string) => void lines.push(s) });
  const info = jest.spyOn(log, "info");
  preparedLine(log, "info", "request", KEYS)(values);
  const throughPino = info.mock.calls.length > 0;
  info.mockRestore();
  const fields: Record<string, LineValue> = {};
  KEYS.forEach((k, i) => (fields[k] = values[i]));
  log.info(fields, "request");
  return { lines, throughPino };
}

const fixedTime = () => ',"time":1700000000000';
const VALUES: LineValue[][] = [
  ["http", "Clearance", "query", undefined, "0c3f5a2e-1111-2222-3333-444455556666", 12.34, "OK", 200],
  ["ws", null, "subscription", "end", null, 0, "INTERNAL_SERVER_ERROR", undefined],
  ["http", 'x"} 1\nfake \\ \u0001 \ud800 é €', "unknown", undefined, null, Number.NaN, "BAD_USER_INPUT", 400],
];

describe("prepared log line", () => {
  it.each(VALUES.map((v) => [v]))("is the line pino writes for the same fields: %j", (values) => {
    for (const make of [
      (d: pino.DestinationStream) => createLogger("info", d), // the hub's logger (base, redaction of req.headers.authorization)
      (d: pino.DestinationStream) => pino({ level: "info", timestamp: fixedTime }, d), // pid and hostname
      (d: pino.DestinationStream) => pino({ level: "info", timestamp: fixedTime, messageKey: "message", base: { a: 1 } }, d).child({ reqs: "x" }),
    ]) {
      const { lines: [ours, theirs], throughPino } = bothWays(make, values);
      expect(throughPino).toBe(false); // built by preparedLine itself
      expect(ours.replace(/"time":\d+/, '"time":0')).toBe(theirs.replace(/"time":\d+/, '"time":0'));
    }
  });

  it("writes nothing below the logger's level, and follows a level changed later", () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (s: string) => void lines.push(s) });
    const line = preparedLine(log, "info", "request", KEYS);
    line(VALUES[0]);
    expect(lines).toHaveLength(0);
    log.level = "info";
    line(VALUES[0]);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 30, msg: "request", operation: "Clearance", status: 200 });
  });

  it("goes through pino for a logger it does not reproduce (mixin, formatter, serializer, redaction of its keys)", () => {
    const loggers = [
      (d: pino.DestinationStream) => pino({ mixin: () => ({ traceId: "t1" }) }, d),
      (d: pino.DestinationStream) => pino({ formatters: { log: (o) => ({ ...o, formatted: true }) } }, d),
      (d: pino.DestinationStream) => pino({ serializers: { partyId: () => "hidden" } }, d),
      (d: pino.DestinationStream) => pino({ redact: ["operation"] }, d),
    ];
    const expected = [{ traceId: "t1" }, { formatted: true }, { partyId: "hidden" }, { operation: "[Redacted]" }];
    loggers.forEach((make, i) => {
      const { lines: [ours, theirs], throughPino } = bothWays(make, VALUES[0]);
      expect(throughPino).toBe(true);
      expect(JSON.parse(ours)).toMatchObject(expected[i]);
      expect(ours.replace(/"time":\d+/, "")).toBe(theirs.replace(/"time":\d+/, ""));
    });
  });
});
