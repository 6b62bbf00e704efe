// The arithmetic of bench section 2b (scripts/bench/observability*.ts, pinning.ts): the rounds'
// plan, the on/off ratios of adjacent pairs and of ABBA blocks (the verdict takes the blocks'
// median), taskset's CPU lists.
import type { LoadReport } from "../scripts/bench/load";
import { roundPlan } from "../scripts/bench/observability";
import { blockRatios, pairedRatios, type Round } from "../scripts/bench/observability-report";
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

  it("a block (on, off, off, on) cancels a position effect that the adjacent pairs take for a cost", () => {
    // no cost at all; the round right after a switch runs 10% slower, whichever hub
    const rounds = [round("on", 100), round("off", 90), round("off", 100), round("on", 90), round("on", 100), round("off", 90), round("off", 100), round("on", 90)];
    expect(pairedRatios(rounds).ratios.map((x) => +x.toFixed(3))).toEqual([1.111, 0.9, 1.111, 0.9]);
    const b = blockRatios(rounds);
    expect(b.ratios).toEqual([1, 1]);
    expect(b.median).toBe(1);
    // a real cost of 5% shows whatever the positions
    const costly = rounds.map((r) => (r.which === "on" ? round("on", r.report.completedPerSecond * 0.95) : r));
    expect(blockRatios(costly).median).toBeCloseTo(0.95, 6);
    expect(() => blockRatios([round("on", 1), round("on", 1), round("off", 1), round("on", 1)])).toThrow(/two on and two off/);
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
