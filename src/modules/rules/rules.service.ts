import type Decimal from "decimal.js";
import type { PrismaClient } from "../../generated/prisma/client";
import { requirePrincipal, type HubContext } from "../../context/context";
import { TOPICS, type HubPubSub } from "../../infra/pubsub";
import { Problems } from "../../shared/validation";
import type { WriteService } from "../writes";
import { ruleKind, type ThresholdKey } from "./rules.kinds";
import { jurisdictionsFor, RuleBook, versionInForce, type Converted, type Money, type RuleRow } from "./rules.model";
import { RulesRepository, type StoredRate, type StoredRule } from "./rules.repository";
import { checkJurisdiction, normalizeRuleSet, optionalDate, type RuleSet, type RuleSetLike } from "./rules.validation";

/** How long a rule book is kept without a change notice (a safety net; changes flush at once). */
const DEFAULT_CACHE_MS = 60_000;

export interface Published {
  rules: StoredRule[];
  exchangeRates: StoredRate[];
}

/**
 * Versioned rules: the lookups every evaluation uses (cached per destination, flushed on
 * every instance when rules are published), and publishing through the API by customs of
 * the jurisdiction, recorded in the write audit.
 */
export class RulesService {
  readonly repo: RulesRepository;
  private readonly books = new Map<string, { until: number; book: Promise<RuleBook> }>();

  constructor(
    prisma: PrismaClient,
    private readonly writes: WriteService,
    private readonly events?: HubPubSub,
    private readonly cacheMs = DEFAULT_CACHE_MS,
  ) {
    this.repo = new RulesRepository(prisma);
    if (events) {
      void (async () => {
        for await (const e of events.pubsub.subscribe(TOPICS.RULES_CHANGED)) this.forget(e.jurisdictions);
      })();
    }
  }

  /** The rules and exchange rates of a destination (its country, then the EU for a member state). */
  book(destination: string): Promise<RuleBook> {
    const hit = this.books.get(destination);
    if (hit && hit.until > Date.now()) return hit.book;
    const chain = jurisdictionsFor(destination);
    const book = Promise.all([this.repo.rulesOf(chain), this.repo.ratesOf(chain)]).then(([rules, rates]) => new RuleBook(destination, chain, rules, rates));
    book.catch(() => this.books.delete(destination));
    this.books.set(destination, { until: Date.now() + this.cacheMs, book });
    return book;
  }

  /** "Threshold X for destination D at date T", with the rule version that says so. */
  async threshold(destination: string, key: ThresholdKey, at: Date): Promise<(Money & { rule: RuleRow }) | null> {
    return (await this.book(destination)).threshold(key, at);
  }

  /** `amount` converted at the rates the destination's customs use at `at` (exact, not rounded). */
  async convert(destination: string, amount: Decimal.Value, from: string, to: string, at: Date): Promise<Converted> {
    return (await this.book(destination)).convert(amount, from, to, at);
  }

  /** "The EUR value of this amount at this date", at the EU's customs rates. */
  async toEur(amount: Decimal.Value, currency: string, at: Date): Promise<Converted> {
    return this.convert("EU", amount, currency, "EUR", at);
  }

  /** Drops cached books that read any of these jurisdictions. */
  forget(jurisdictions: string[]): void {
    for (const [dest] of this.books) {
      if (jurisdictionsFor(dest).some((j) => jurisdictions.includes(j))) this.books.delete(dest);
    }
  }

  private changed(jurisdictions: string[]): void {
    this.forget(jurisdictions);
    void this.events?.pubsub.publish(TOPICS.RULES_CHANGED, { jurisdictions });
  }

  /** Rule versions of a jurisdiction (every version, or those in force at `at`); public kinds only. */
  async list(ctx: HubContext, args: RuleQuery): Promise<StoredRule[]> {
    requirePrincipal(ctx);
    return this.versions(checkedQuery(args), true);
  }

  /**
   * Rule versions of the kinds that are not public (risk rules, risk settings) of a
   * jurisdiction: its customs and the operator only, as the policy says (rules:readRestricted),
   * asked before anything is read, so a refusal tells nothing about what exists.
   */
  async restricted(ctx: HubContext, args: RuleQuery): Promise<StoredRule[]> {
    requirePrincipal(ctx);
    const q = checkedQuery(args);
    await ctx.authz.assert("rules:readRestricted", { jurisdiction: q.jurisdiction });
    return this.versions(q, false);
  }

  private async versions(q: ReturnType<typeof checkedQuery>, publicKinds: boolean): Promise<StoredRule[]> {
    const rows = (await this.repo.rulesOf([q.jurisdiction])).filter(
      (r) => (ruleKind(r.kind)?.public ?? false) === publicKinds && (!q.kind || r.kind === q.kind) && (!q.key || r.key === q.key),
    );
    return q.at ? inForceOnly(rows, (r) => `${r.kind}|${r.key}`, q.at) : rows;
  }

  async exchangeRates(ctx: HubContext, args: { jurisdiction: string; currency?: string | null; at?: string | null }): Promise<StoredRate[]> {
    requirePrincipal(ctx);
    const p = new Problems();
    const jurisdiction = checkJurisdiction(p, "jurisdiction", args.jurisdiction);
    const at = optionalDate(p, "at", args.at);
    p.throwIfAny();
    const rows = (await this.repo.ratesOf([jurisdiction!])).filter((r) => !args.currency || r.currency === args.currency);
    return at ? inForceOnly(rows, (r) => r.currency, at) : rows;
  }

  /** Publishes a rule set as new versions: customs officers of the jurisdiction only. */
  async publish(ctx: HubContext, input: RuleSetLike, idempotencyKey?: string | null): Promise<Published> {
    const principal = requirePrincipal(ctx);
    return this.writes.run<Published>(
      ctx,
      {
        operation: "publishRules",
        idempotencyKey,
        request: { input },
        keep: (r) => ({ rules: r.rules.map((x) => x.id), rates: r.exchangeRates.map((x) => x.id) }),
        replay: async (kept) => {
          const k = kept as { rules: string[]; rates: string[] };
          const j = [input.jurisdiction];
          const [rules, rates] = await Promise.all([this.repo.rulesOf(j), this.repo.ratesOf(j)]);
          return { rules: rules.filter((r) => k.rules.includes(r.id)), exchangeRates: rates.filter((r) => k.rates.includes(r.id)) };
        },
      },
      async (journal) => {
        const p = new Problems();
        const jurisdiction = checkJurisdiction(p, "input.jurisdiction", input?.jurisdiction);
        p.throwIfAny();
        await ctx.authz.assert("rules:publish", { jurisdiction });
        const set = normalizeRuleSet(p, "input", input, { source: "api", createdById: principal.partyId });
        p.throwIfAny();
        const out = await journal.transaction((tx) => this.store(tx, set, (row, recordType) => journal.record({ recordType, recordId: row.id, holderId: principal.partyId, changes: created(row) })));
        this.changed([set.jurisdiction]);
        return out;
      },
    );
  }

  /** A shipped rule set, loaded without a caller (the seed, `npm run rules:load`); no write audit. */
  async loadShipped(set: RuleSet): Promise<Published> {
    const out = await this.repo.transaction((tx) => this.store(tx, set, () => {}));
    this.changed([set.jurisdiction]);
    return out;
  }

  private async store(tx: Parameters<RulesRepository["insertRules"]>[0], set: RuleSet, note: (row: StoredRule | StoredRate, type: string) => void): Promise<Published> {
    const rules = await this.repo.insertRules(tx, set.rules);
    const exchangeRates = await this.repo.insertRates(tx, set.rates);
    rules.forEach((r) => note(r, "RuleVersion"));
    exchangeRates.forEach((r) => note(r, "ExchangeRate"));
    return { rules, exchangeRates };
  }
}

type RuleQuery = { jurisdiction: string; kind?: string | null; key?: string | null; at?: string | null };

/** The query's jurisdiction and date checked (BAD_USER_INPUT naming them). */
function checkedQuery(args: RuleQuery): { jurisdiction: string; kind?: string | null; key?: string | null; at: Date | null } {
  const p = new Problems();
  const jurisdiction = checkJurisdiction(p, "jurisdiction", args.jurisdiction);
  const at = optionalDate(p, "at", args.at);
  p.throwIfAny();
  return { jurisdiction: jurisdiction!, kind: args.kind, key: args.key, at: at ?? null };
}

function created(row: StoredRule | StoredRate): Record<string, { before: null; after: unknown }> {
  const { id: _id, createdAt: _c, createdById: _b, ...fields } = row;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { before: null, after: v instanceof Date ? v.toISOString() : (v as unknown) }]));
}

function inForceOnly<T extends { version: number; validFrom: Date; validTo: Date | null }>(rows: T[], group: (r: T) => string, at: Date): T[] {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(group(r), [...(groups.get(group(r)) ?? []), r]);
  return [...groups.values()].map((g) => versionInForce(g, at)).filter((r): r is T => r !== null);
}
