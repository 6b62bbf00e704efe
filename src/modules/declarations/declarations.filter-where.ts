import { MONEY, positiveDecimal, Problems } from "../../shared/validation";
import type { DeclarationWhere } from "../analytics/analytics.inputs";
import type { DeclarationFilter } from "./declarations.query";

/**
 * The fixed filter (`filter:`) in the analysts' language, for the queries answered on the
 * analytics path (TOTAL_VALUE or several sort keys): the same conditions with the same
 * meaning, so a filter means one thing whatever the sort, and each condition still leaves
 * out the declarations whose value of it the viewer may not read (no oracle).
 * Expects a filter already checked by DeclarationService.compileFilter.
 */
export function fixedFilterAsWhere(f: DeclarationFilter): DeclarationWhere {
  const w: DeclarationWhere & { statedTotalValue?: { gte?: string; lte?: string } } = {};
  if (f.status?.length) w.status = { in: f.status };
  if (f.filedFrom || f.filedTo) w.filedAt = { gte: f.filedFrom ?? undefined, lt: f.filedTo ?? undefined };
  if (f.trackingNumber) w.trackingNumber = { eq: f.trackingNumber.trim().toUpperCase() };
  if (f.destinationCountry?.length) w.destinationCountry = { in: f.destinationCountry };
  if (f.originCountry?.length) w.originCountry = { in: f.originCountry };
  if (f.carrierId) w.carrierId = { eq: f.carrierId };
  if (f.postId) w.postId = { eq: f.postId };
  if (f.platformId) w.platformId = { eq: f.platformId };
  if (f.category?.length) w.category = { in: f.category };
  if (f.currency) w.currency = { eq: f.currency };
  // min/maxTotalValue compare the amount as stated, in whatever currency (as on the other path)
  const amount = (v: string | undefined) => (v == null ? undefined : positiveDecimal(new Problems(), "", v, MONEY)); // canonical
  if (f.minTotalValue != null || f.maxTotalValue != null) w.statedTotalValue = { gte: amount(f.minTotalValue), lte: amount(f.maxTotalValue) };
  if (f.hsCodePrefix != null) w.goodsItems = { some: { hsCode: { startsWith: f.hsCodePrefix } } };
  if (f.filerId) w.filerId = { eq: f.filerId };
  return w;
}
