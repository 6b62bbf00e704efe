import { Decimal } from "@prisma/client/runtime/client";
import { CollectionModel, TaxType } from "../../generated/prisma/enums";
import { requirePrincipal, type HubContext } from "../../context/context";
import { MONEY, Problems, at, currencyCode, nonNegativeDecimal, oneOf, optionalString, type DecimalRule } from "../../shared/validation";
import { auditValue, type Kept } from "../writes";
import type { AssessDutiesInput } from "./workflow.inputs";
import { statusAfterAssessing } from "./workflow.lifecycle";
import type { DutyAssessmentRow } from "./workflow.repository";
import type { WorkflowSupport } from "./workflow.support";

/** Duty rates are fractions stored as NUMERIC(7,4): up to 999.9999 (duties above 100% exist). */
export const RATE: DecimalRule = { scale: 4, integerDigits: 3 };
export const MAX_DUTY_LINES = 50;
const MAX_TEXT = 2000;

interface DutyLine {
  taxType: TaxType;
  base: string;
  rate: string;
  amount: string;
  currency: string;
  collectionModel: CollectionModel;
}

/**
 * Duty assessments are versioned wholes: each call states the whole assessment (its lines,
 * or "nothing due" with none), and a later call is a correction that supersedes the
 * previous version (with a reason), never adds to it. A replayed call applies nothing.
 * Zero rates and zero amounts are lines like any other (many tariff lines are 0%).
 */
export class DutyAssessor {
  constructor(private readonly support: WorkflowSupport) {}

  async assess(ctx: HubContext, declarationId: string, input: AssessDutiesInput, idempotencyKey?: string | null): Promise<DutyAssessmentRow[]> {
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
        const lines = normalizeLines(p, input);
        const correctionReason = optionalString(p, "input.correctionReason", input?.correctionReason, MAX_TEXT) ?? null;
        p.throwIfAny();
        return this.support.locked(journal, declaration.id, async (d, changes) => {
          await ctx.authz.assert("duties:assess", { declaration: d.current });
          const cur = d.current;
          // Checked against the row as it is now (an amendment may have changed it meanwhile).
          lines.forEach((l, i) => {
            const path = at("input", "lines", i, "collectionModel");
            if (l.collectionModel === "IOSS" && !cur.iossNumber) p.add(path, "IOSS needs a declaration with an IOSS number");
            if (l.collectionModel === "DDP" && !cur.ddp) p.add(path, "DDP needs a declaration that is delivered duty paid");
          });
          if (cur.dutiesVersion > 0 && !correctionReason) {
            p.add("input.correctionReason", `declaration ${cur.id} was assessed already (version ${cur.dutiesVersion}): a correction needs a reason`);
          }
          p.throwIfAny();
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
}

const lineOf = (r: DutyAssessmentRow): Kept =>
  Object.fromEntries(["taxType", "base", "rate", "amount", "currency", "collectionModel"].map((k) => [k, auditValue(r[k as keyof DutyAssessmentRow])])) as Kept;

/** The lines, each checked; none only with an explicit "nothing due". */
function normalizeLines(p: Problems, input: AssessDutiesInput | null | undefined): DutyLine[] {
  const lines = input?.lines ?? [];
  const nothingDue = input?.nothingDue === true;
  if (!Array.isArray(lines)) {
    p.add("input.lines", "must be a list of duty lines");
    return [];
  }
  if (nothingDue && lines.length) p.add("input.nothingDue", "contradicts the lines given: nothing due means no lines");
  if (!nothingDue && lines.length === 0) p.add("input.lines", 'must list at least one duty or tax line (or set nothingDue: true)');
  if (lines.length > MAX_DUTY_LINES) p.add("input.lines", `must list at most ${MAX_DUTY_LINES} lines (got ${lines.length})`);
  if (!p.ok) return [];
  const out = lines.map((l, i) => {
    const path = (k: string) => at("input", "lines", i, k);
    const line = {
      taxType: oneOf(p, path("taxType"), l?.taxType, Object.values(TaxType)),
      base: nonNegativeDecimal(p, path("base"), l?.base, MONEY),
      rate: nonNegativeDecimal(p, path("rate"), l?.rate, RATE),
      amount: nonNegativeDecimal(p, path("amount"), l?.amount, MONEY),
      currency: currencyCode(p, path("currency"), l?.currency),
      collectionModel: oneOf(p, path("collectionModel"), l?.collectionModel, Object.values(CollectionModel)),
    };
    // base x rate, to the cent; a FEE is a fixed charge and is not checked.
    if (line.base && line.rate && line.amount && line.taxType !== "FEE") {
      const expected = new Decimal(line.base).times(line.rate);
      if (expected.minus(line.amount).abs().gt("0.01")) {
        p.add(path("amount"), `must be base x rate (${expected.toDecimalPlaces(2).toFixed(2)}) to within 0.01`);
      }
    }
    return line as DutyLine;
  });
  return p.ok ? out : [];
}
