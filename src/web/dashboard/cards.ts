/** The dashboard's charts: what each measures, and how a group becomes a point. */
import type { Dimension, StatsGroup } from "./api";

export interface Series {
  label: string;
  values: (number | null)[];
  /** drawn against the right-hand axis (another order of magnitude), with its own unit */
  right?: string;
}

export interface CardSpec {
  id: string;
  title: string;
  /** what the chart is grouped by until its filter says otherwise */
  defaultBy: Dimension;
  unit: (currency: string) => string;
  series(groups: StatsGroup[]): Series[];
}

const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
const percent = (rate: number) => Math.round(rate * 1000) / 10;
const amount = (s: string | null) => (s === null ? null : Number(s));

export const CARDS: CardSpec[] = [
  {
    id: "volumes",
    title: "Volumes",
    defaultBy: "MONTH",
    unit: () => "declarations",
    series: (groups) => [
      { label: "declarations", values: groups.map((g) => g.count) },
      { label: "released", values: groups.map((g) => g.releasedCount) },
    ],
  },
  {
    id: "rates",
    title: "Hold and alert rates",
    defaultBy: "DESTINATION",
    unit: () => "% of declarations",
    series: (groups) => [
      { label: "holds", values: groups.map((g) => percent(g.holdRate)) },
      ...SEVERITIES.filter((s) => groups.some((g) => g.alertRates.some((a) => a.severity === s && a.rate > 0))).map((s) => ({
        label: `${s.toLowerCase()} alerts`,
        values: groups.map((g) => percent(g.alertRates.find((a) => a.severity === s)?.rate ?? 0)),
      })),
    ],
  },
  {
    id: "clearance",
    title: "Clearance times (filing to release)",
    defaultBy: "DESTINATION",
    unit: () => "hours",
    series: (groups) => [
      { label: "median", values: groups.map((g) => g.clearanceHoursMedian) },
      { label: "90th percentile", values: groups.map((g) => g.clearanceHoursP90) },
    ],
  },
  {
    id: "revenue",
    title: "Revenue: duties and taxes assessed",
    defaultBy: "ORIGIN",
    unit: (currency) => currency,
    series: (groups) => [
      { label: "duties and taxes", values: groups.map((g) => amount(g.dutiesAssessed)) },
      { label: "declared value", values: groups.map((g) => amount(g.totalValue)), right: "declared value" },
    ],
  },
];

export const DIMENSIONS: { value: Dimension; label: string }[] = [
  { value: "DESTINATION", label: "destination" },
  { value: "ORIGIN", label: "origin" },
  { value: "PLATFORM", label: "platform" },
  { value: "MONTH", label: "month" },
];

/** A group's label on the axis: a country code, a platform's name, or a month. */
export function labelOf(by: Dimension, g: StatsGroup, platformNames: Map<string, string>): string {
  const k = g.key;
  switch (by) {
    case "DESTINATION":
      return k.destination ?? "(none)";
    case "ORIGIN":
      return k.origin ?? "(none)";
    case "PLATFORM":
      return k.platformId ? (platformNames.get(k.platformId) ?? k.platformId) : "(none)";
    case "MONTH":
      return k.period ? k.period.slice(0, 7) : "(none)";
  }
}

/** Months in time order, the latest 24; other groupings as the hub ranks them (largest first). */
export function ordered(by: Dimension, groups: StatsGroup[]): StatsGroup[] {
  if (by !== "MONTH") return groups;
  return [...groups].sort((a, b) => String(a.key.period).localeCompare(String(b.key.period))).slice(-24);
}
