import type { Prisma, PrismaClient } from "../../generated/prisma/client";
import type { Tx } from "../writes";
import type { RateRow, RuleRow } from "./rules.model";

export interface NewRule {
  jurisdiction: string;
  kind: string;
  key: string;
  validFrom: Date;
  validTo: Date | null;
  legalReference: string;
  payload: Prisma.InputJsonValue;
  illustrative: boolean;
  source: string;
  createdById: string | null;
}

export interface NewRate {
  jurisdiction: string;
  baseCurrency: string;
  currency: string;
  rate: string;
  validFrom: Date;
  validTo: Date | null;
  legalReference: string;
  illustrative: boolean;
  source: string;
  createdById: string | null;
}

const toRule = (r: { payload: unknown } & Omit<RuleRow, "payload">): RuleRow => ({ ...r, payload: (r.payload ?? {}) as RuleRow["payload"] });
const toRate = (r: Omit<RateRow, "rate"> & { rate: { toString(): string } }): RateRow => ({ ...r, rate: r.rate.toString() });

export type StoredRule = RuleRow & { source: string; createdById: string | null; createdAt: Date };
export type StoredRate = RateRow & { source: string; createdById: string | null; createdAt: Date };

/** Rule versions and exchange rates: insert-only (a change is a new version). */
export class RulesRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async rulesOf(jurisdictions: string[]): Promise<StoredRule[]> {
    const rows = await this.prisma.ruleVersion.findMany({ where: { jurisdiction: { in: jurisdictions } }, orderBy: [{ kind: "asc" }, { key: "asc" }, { version: "asc" }] });
    return rows.map((r) => toRule(r) as StoredRule);
  }

  async ratesOf(jurisdictions: string[]): Promise<StoredRate[]> {
    const rows = await this.prisma.exchangeRate.findMany({ where: { jurisdiction: { in: jurisdictions } }, orderBy: [{ currency: "asc" }, { version: "asc" }] });
    return rows.map((r) => toRate(r) as StoredRate);
  }

  /** Inserts each rule as the next version of its (jurisdiction, kind, key). */
  async insertRules(tx: Tx, rules: NewRule[]): Promise<StoredRule[]> {
    const out: StoredRule[] = [];
    for (const r of rules) {
      const last = await tx.ruleVersion.aggregate({ where: { jurisdiction: r.jurisdiction, kind: r.kind, key: r.key }, _max: { version: true } });
      const row = await tx.ruleVersion.create({ data: { ...r, version: (last._max.version ?? 0) + 1 } });
      out.push(toRule(row) as StoredRule);
    }
    return out;
  }

  async insertRates(tx: Tx, rates: NewRate[]): Promise<StoredRate[]> {
    const out: StoredRate[] = [];
    for (const r of rates) {
      const last = await tx.exchangeRate.aggregate({ where: { jurisdiction: r.jurisdiction, currency: r.currency }, _max: { version: true } });
      const row = await tx.exchangeRate.create({ data: { ...r, version: (last._max.version ?? 0) + 1 } });
      out.push(toRate(row) as StoredRate);
    }
    return out;
  }

  /** Sources already loaded (shipped files are loaded once). */
  async loadedSources(): Promise<Set<string>> {
    const [a, b] = await Promise.all([
      this.prisma.ruleVersion.findMany({ distinct: ["source"], select: { source: true } }),
      this.prisma.exchangeRate.findMany({ distinct: ["source"], select: { source: true } }),
    ]);
    return new Set([...a, ...b].map((r) => r.source));
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    // A shipped set (a hundred versions, one statement pair each) on a busy embedded store
    // takes more than Prisma's 5 s default: the first start's seed must not fail on it.
    return this.prisma.$transaction(work, { maxWait: 30_000, timeout: 120_000 });
  }
}
