// The seeded duty assessments: computed by the code assessDuties runs (computeAssessment,
// then the lines as rows by applyOverrides, here without overrides) from the rules in force
// at the taxable event, the parcel's arrival, as assessDuties takes it.
import { randomUUID } from "node:crypto";
import type { Prisma } from "../generated/prisma/client";
import type { RuleBook } from "../modules/rules/rules.model";
import { computeAssessment, RevenueRuleMissing } from "../modules/workflow/revenue.compute";
import { applyOverrides } from "../modules/workflow/workflow.duties";
import type { SeedFiling } from "./declarations";
import type { SeedRow } from "./writer";

/** The rows of version 1 of the assessment, or null where the rules cannot compute it (the API refuses it too). */
export function seedDuties(book: RuleBook, f: SeedFiling, taxableEventAt: Date, assessedAt: number): SeedRow<Prisma.DutyAssessmentCreateManyInput>[] | null {
  const d = f.filing.declaration;
  let computed;
  try {
    const goodsItems = f.filing.goodsItems.map((g, i) => ({ ...g, lineNumber: i + 1 }));
    computed = computeAssessment(book, { ...d, goodsItems }, taxableEventAt);
  } catch (e) {
    if (e instanceof RevenueRuleMissing) return null;
    throw e;
  }
  return applyOverrides(computed, []).map((l) => ({
    id: randomUUID(),
    declarationId: f.id,
    assessedById: f.customsId,
    ...l,
    // stored as jsonb text: the bulk insert passes it through a text array
    basis: JSON.stringify(l.basis) as unknown as Prisma.InputJsonValue,
    createdAt: assessedAt,
    version: 1,
    supersededAt: null,
    correctionReason: null,
  }));
}
