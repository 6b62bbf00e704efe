// Registration and risk assessment of the seeded filings by the risk engine itself: the
// rules in force at each filing's time (RiskAssessor.inForce), tested by `evaluate`, turned
// into alerts, holds and the registration path by `assessmentOf`, exactly as filing does.
// Filing stamps "now"; the seed files in the past, so it asks the engine as of each
// filing's time, against the parcels of that buyer filed before it the same day (what a
// filing at that moment would have seen).
import type Decimal from "decimal.js";
import { assessmentOf, dayOf, type Assessment, type DestinationRisk, type RiskAssessor } from "../modules/risk/risk.assessor";
import { evaluate, splitKey, valueAgainstCeiling, type Subject } from "../modules/risk/risk.engine";
import type { SeedFiling } from "./declarations";
import type { SeedRepository, StoredParcel } from "./seed.repository";

const DAY_MS = 86_400_000;

/** n: the seeded declaration's number; -1 for one stored before this run */
type Parcel = Pick<StoredParcel, "totalValue" | "currency" | "filedAt"> & { n: number };

/** How far back seeded filings go (declarations.ts files at most 60 days before now). */
export const SEED_WINDOW_DAYS = 62;

export class FilingRisk {
  /** the rules in force per UTC day (rules change at midnight: validFrom is a date) */
  private readonly days = new Map<number, Map<string, DestinationRisk>>();
  /** parcels by split key: stored before this run, and this run's (a later batch's parcel may be filed earlier) */
  private readonly parcels = new Map<string, Parcel[]>();

  private constructor(private readonly platformIoss: Map<string, string | null>) {}

  /**
   * Everything the assessment reads, read once before any batch is written (on the embedded
   * database a bulk writer holds the only connection): the rules in force on every day of
   * the window, and the parcels stored before (a resumed or extended seed).
   */
  static async prepare(assessor: RiskAssessor, repo: SeedRepository, platformIoss: Map<string, string | null>, destinations: string[], now: number, stored: boolean): Promise<FilingRisk> {
    const risk = new FilingRisk(platformIoss);
    const today = dayOf(new Date(now))[0].getTime();
    for (let i = 0; i <= SEED_WINDOW_DAYS; i++) {
      const day = today - i * DAY_MS;
      risk.days.set(day, await assessor.inForce(destinations, new Date(day)));
    }
    if (stored) {
      for (const p of await repo.storedParcels(today - SEED_WINDOW_DAYS * DAY_MS)) risk.remember(p, splitKey(p)!, -1);
    }
    return risk;
  }

  private remember(p: { totalValue: string; currency: string; filedAt: number }, key: string, n: number): void {
    const list = this.parcels.get(key);
    const parcel = { totalValue: p.totalValue, currency: p.currency, filedAt: p.filedAt, n };
    if (list) list.push(parcel);
    else this.parcels.set(key, [parcel]);
  }

  /** Per filing, the engine's assessment at its filing time, or null where assessment is off. */
  assess(batch: SeedFiling[]): (Assessment | null)[] {
    const subjects = batch.map((f): Subject => ({ ...f.filing.declaration, goodsItems: f.filing.goodsItems }));
    batch.forEach((f, i) => {
      const key = splitKey(subjects[i]);
      if (key) this.remember({ ...subjects[i], filedAt: f.filedAt }, key, f.n);
    });
    return batch.map((f, i) => {
      const day = dayOf(new Date(f.filedAt))[0].getTime();
      const dest = this.days.get(day)?.get(f.filing.declaration.destinationCountry);
      if (!this.days.has(day)) throw new Error(`seed: filing ${f.n} at ${new Date(f.filedAt).toISOString()} is outside the seed's window`);
      if (!dest) return null;
      const sameDay = this.sameDay(subjects[i], f, day, dest);
      const hits = evaluate(dest.rules, subjects[i], { facts: dest.facts, platformIoss: this.platformIoss, sameDay });
      return assessmentOf(hits, dest, f.filing.declaration.filerId, new Date(f.filedAt));
    });
  }

  /** The split-shipment index for one filing: its buyer's parcels of the day filed up to it, itself included. */
  private sameDay(s: Subject, f: SeedFiling, day: number, dest: DestinationRisk): Map<string, Decimal[]> {
    const key = splitKey(s);
    if (!key) return new Map();
    const before = (p: Parcel): boolean => p.filedAt >= day && (p.filedAt < f.filedAt || (p.filedAt === f.filedAt && p.n <= f.n));
    const values = (this.parcels.get(key) ?? [])
      .filter(before)
      .map((p) => valueAgainstCeiling(p.n === f.n ? s : p, dest.facts)?.value)
      .filter((v): v is Decimal => !!v);
    return new Map([[key, values]]);
  }
}
