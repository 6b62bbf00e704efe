import type { Prisma } from "../../generated/prisma/client";
import { requirePrincipal, type HubContext } from "../../context/context";
import { BadUserInputError } from "../../shared/errors";
import { MONEY, Problems, at, nonNegativeDecimal, optionalString, requiredString } from "../../shared/validation";
import { dateValue } from "../rules/rules.validation";
import { auditValue, type Kept } from "../writes";
import type { AssessDutiesInput } from "./workflow.inputs";
import { statusAfterAssessing } from "./workflow.lifecycle";
import type { DutyAssessmentRow, LockedDeclaration } from "./workflow.repository";
import type { WorkflowSupport } from "./workflow.support";
import { computeAssessment, RevenueRuleMissing, type ComputedAssessment, type ComputedLine } from "./revenue.compute";
import { RevenueRepository } from "./revenue.repository";

const MAX_TEXT = 2000;
const MAX_OVERRIDES = 50;

interface Override {
  lineKey: string;
  amount: string;
  reason: string;
}

/**
 * Duty assessments are computed, not typed: the lines come from the rules in force at the
 * taxable event (revenue.compute.ts), each explaining itself and recording the rule
 * versions it used. Customs may override a computed line's amount with a reason (kept with
 * the computed amount). Assessments are versioned wholes: a later call is a correction that
 * supersedes the previous version (with a reason). A replayed call applies nothing.
 */
export class DutyAssessor {
  private readonly revenue = new RevenueRepository();

  constructor(private readonly support: WorkflowSupport) {}

  async assess(ctx: HubContext, declarationId: string, input: AssessDutiesInput | null | undefined, idempotencyKey?: string | null): Promise<DutyAssessmentRow[]> {
    const principal = requirePrincipal(ctx);
    return this.support.writes.run<DutyAssessmentRow[]>(
      ctx,
      {
        operation: "assessDuties",
        idempotencyKey,
        request: { declarationId, input },
        keep: (rows) => ({ ids: rows.map((r) => r.id) }),
        replay: async (kept) => {
          await this.support.visible(ctx, declarationId);
          return this.support.repo.findDuties((kept as { ids: string[] }).ids);
        },
      },
      async (journal) => {
        const declaration = await this.support.visible(ctx, declarationId);
        await ctx.authz.assert("duties:assess", { declaration });
        const p = new Problems();
        const overrides = normalizeOverrides(p, input?.overrides);
        const stated = input?.taxableEventAt == null ? null : dateValue(p, "input.taxableEventAt", input.taxableEventAt);
        const correctionReason = optionalString(p, "input.correctionReason", input?.correctionReason, MAX_TEXT) ?? null;
        p.throwIfAny();
        const book = await ctx.hub.services.rules.book(declaration.destinationCountry);
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          await ctx.authz.assert("duties:assess", { declaration: d.current });
          const cur = d.current;
          if (cur.dutiesVersion > 0 && !correctionReason) {
            throw BadUserInputError.at("input.correctionReason", `declaration ${cur.id} was assessed already (version ${cur.dutiesVersion}): a correction needs a reason`);
          }
          const taxableEventAt = stated ?? (await this.revenue.arrivedAt(d.tx, d.id)) ?? new Date();
          const computed = await this.compute(d, book, taxableEventAt);
          const lines = applyOverrides(computed, overrides);
          const next = statusAfterAssessing(d.id, cur.status);
          const assessedAt = new Date();
          const { version, superseded, created } = await d.replaceDuties(
            lines.map((l) => ({ ...l, assessedById: principal.partyId, createdAt: assessedAt })),
            assessedAt,
            cur.dutiesVersion > 0 ? correctionReason : null,
          );
          journal.record(
            {
              recordType: "DutyAssessment",
              recordId: d.id,
              declarationId: d.id,
              holderId: principal.partyId,
              changes: {
                version: { before: version - 1, after: version },
                taxableEventAt: { before: null, after: taxableEventAt.toISOString() },
                lines: { before: superseded.map(lineOf), after: created.map(lineOf) },
                ...(correctionReason && version > 1 ? { correctionReason: { before: null, after: correctionReason } } : {}),
              },
            },
            assessedAt,
          );
          journal.emit("DUTIES_ASSESSED", d.id, { version, assessedById: principal.partyId }, assessedAt);
          if (next) await this.support.move(d, next, assessedAt, changes, journal);
          return created;
        });
      },
    );
  }

  private async compute(d: LockedDeclaration, book: Parameters<typeof computeAssessment>[0], taxableEventAt: Date): Promise<ComputedAssessment> {
    const cur = d.current;
    const goodsItems = await this.revenue.goodsItems(d.tx, d.id);
    try {
      return computeAssessment(book, { ...cur, totalValue: cur.totalValue.toString(), goodsItems }, taxableEventAt);
    } catch (e) {
      if (e instanceof RevenueRuleMissing) throw BadUserInputError.at(e.path, e.message);
      throw e;
    }
  }
}

type LineRow = Omit<Prisma.DutyAssessmentCreateManyInput, "declarationId" | "version" | "assessedById" | "createdAt">;

/** The computed lines as rows, with customs' overrides applied (the computed amount kept). */
export function applyOverrides(a: ComputedAssessment, overrides: Override[]): LineRow[] {
  const keys = new Set(a.lines.map((l) => l.lineKey));
  const p = new Problems();
  overrides.forEach((o, i) => {
    if (!keys.has(o.lineKey)) p.add(at("input", "overrides", i, "lineKey"), `must name a computed line: ${[...keys].join(", ")}`);
  });
  p.throwIfAny();
  const byKey = new Map(overrides.map((o) => [o.lineKey, o]));
  return a.lines.map((l: ComputedLine): LineRow => {
    const o = byKey.get(l.lineKey);
    return {
      taxType: l.taxType,
      base: l.base,
      rate: l.rate,
      amount: o ? o.amount : l.amount,
      currency: l.currency,
      collectionModel: l.collectionModel,
      lineKey: l.lineKey,
      method: l.method,
      explanation: o ? `${l.explanation}. Overridden by customs to ${l.currency} ${o.amount}: ${o.reason}` : l.explanation,
      basis: { taxableEventAt: a.taxableEventAt.toISOString(), consignmentValue: a.consignmentValue, currency: a.currency, rules: l.rules } as unknown as Prisma.InputJsonValue,
      computedAmount: o ? l.amount : null,
      overrideReason: o ? o.reason : null,
    };
  });
}

const LINE_FIELDS = ["lineKey", "taxType", "method", "base", "rate", "amount", "currency", "collectionModel", "computedAmount", "overrideReason"] as const;
const lineOf = (r: DutyAssessmentRow): Kept => Object.fromEntries(LINE_FIELDS.map((k) => [k, auditValue(r[k])])) as Kept;

function normalizeOverrides(p: Problems, list: AssessDutiesInput["overrides"]): Override[] {
  if (list == null) return [];
  if (!Array.isArray(list)) {
    p.add("input.overrides", "must be a list");
    return [];
  }
  if (list.length > MAX_OVERRIDES) p.add("input.overrides", `must list at most ${MAX_OVERRIDES} overrides`);
  const seen = new Set<string>();
  const out = list.map((o, i) => {
    const path = (k: string) => at("input", "overrides", i, k);
    const lineKey = requiredString(p, path("lineKey"), o?.lineKey, 100);
    if (lineKey && seen.has(lineKey)) p.add(path("lineKey"), `overrides ${lineKey} twice`);
    if (lineKey) seen.add(lineKey);
    return {
      lineKey: lineKey ?? "",
      amount: nonNegativeDecimal(p, path("amount"), o?.amount, MONEY) ?? "0",
      reason: requiredString(p, path("reason"), o?.reason, MAX_TEXT) ?? "",
    };
  });
  return p.ok ? out : [];
}
