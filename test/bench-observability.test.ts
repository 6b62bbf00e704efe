// The arithmetic of bench section 2b (scripts/bench/observability*.ts, pinning.ts): the rounds'
// plan, the paired on/off ratios the verdict takes the median of, taskset's CPU lists.
import type { LoadReport } from "../scripts/bench/load";
import { roundPlan } from "../scripts/bench/observability";
import { pairedRatios, type Round } from "../scripts/bench/observability-report";
import { parseCpuList } from "../scripts/bench/pinning";

const round = (which: "on" | "off", perSecond: number): Round =>
  ({ which, report: { completedPerSecond: perSecond } as LoadReport, wallMs: 1000, hubCpuMs: 0, pgCpuMs: 0, hubCoreBusyMs: NaN, loadCoreBusyMs: NaN });

describe("bench section 2b", () => {
  it("pairs adjacent rounds on/off whichever comes first, and takes the median, spread and mean of their ratios", () => {
    const r = pairedRatios([round("on", 90), round("off", 100), round("off", 100), round("on", 95), round("on", 50), round("off", 100)]);
    expect(r.ratios).toEqual([0.9, 0.95, 0.5]);
    expect(r.median).toBe(0.9);
    expect([r.min, r.max]).toEqual([0.5, 0.95]);
    expect(r.mean).toBeCloseTo(0.7833, 4);
  });

  it("refuses a pair of two rounds of the same hub", () => {
    expect(() => pairedRatios([round("on", 1), round("on", 1)])).toThrow(/both on/);
  });

  it("plans rounds of a third of --duration (at least 2 s) over about 8 x --duration", () => {
    expect(roundPlan(5)).toEqual({ roundSeconds: 2, blocks: 5 });
    expect(roundPlan(10)).toEqual({ roundSeconds: 3, blocks: 7 });
    expect(roundPlan(1)).toEqual({ roundSeconds: 2, blocks: 2 });
  });

  it("reads taskset's CPU lists", () => {
    expect(parseCpuList(" 0,1\n")).toEqual([0, 1]);
    expect(parseCpuList("0-3,6")).toEqual([0, 1, 2, 3, 6]);
    expect(() => parseCpuList("x")).toThrow(/not a CPU list/);
  });
});
