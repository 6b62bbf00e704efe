import { randomUUID } from "node:crypto";
import { getNamedType, isLeafType, isListType, isNonNullType, isObjectType, type GraphQLSchema } from "graphql";
import type { Declaration } from "../../src/generated/prisma/client";
import { HOLDING_OF } from "../../src/authz/guarded-types";
import { declarationInput, type TestHub, type TestParty } from "../testkit/hub";

/** Children of a declaration and the column naming who contributed them. */
export const CHILDREN = {
  goodsItems: { type: "GoodsItem", holder: null },
  holds: { type: "Hold", holder: "placedById" },
  riskAlerts: { type: "RiskAlert", holder: "raisedById" },
  duties: { type: "DutyAssessment", holder: "assessedById" },
  statusEvents: { type: "StatusEvent", holder: "recordedById" },
} as const;

/**
 * Guarded objects nested in a child (not lists of their own): the child type they hang off
 * and the column of that child's row naming who holds their data (src/authz/guarded-types.ts).
 */
export const NESTED: Record<string, { parent: string; holder: string }> = {
  Referral: { parent: "Hold", holder: "addresseeId" },
};

/**
 * Child fields the fixture leaves null because its record's history says so (type.field:
 * why). Where readable, the matrix expects them null exactly when the stored row holds none;
 * every other readable field must be non-null.
 */
export const LEFT_NULL: Record<string, string> = {
  "Hold.escalatedToId": "the fixture's hold was answered and released, not escalated",
};

/** A declaration with every optional field filled, so a null in a response means "denied". */
export async function fileFullDeclaration(
  t: TestHub,
  filer: TestParty,
  named: { carrier?: TestParty; post?: TestParty; platform?: TestParty },
  customs: TestParty,
  over: Record<string, unknown> = {},
): Promise<Declaration> {
  const { declaration } = await t.hub.services.declarations.filing.fileOne(
    filer.principal,
    declarationInput({
      carrierId: named.carrier?.id,
      postId: named.post?.id,
      platformId: named.platform?.id,
      incoterm: "DDP",
      ddp: true,
      buyerEmail: "erika@example.de",
      ...over,
    }) as never,
  );
  const id = declaration.id;
  const p = t.db.prisma;
  const now = new Date();
  await p.declaration.update({ where: { id }, data: { movementReference: `MRN${id.slice(0, 8)}`, releasedAt: now } });
  // an RFI placed automatically by a risk rule, answered by the filer and released: every
  // field filled but escalatedToId (it was not escalated; see LEFT_NULL)
  const rule = { id: randomUUID(), version: 3 };
  await p.hold.create({
    data: {
      declarationId: id, placedById: customs.id, kind: "RFI", reason: "R-17 v3: undervaluation suspected", response: "invoice sent", outcome: "cleared",
      releasedAt: now, releasedById: customs.id, status: "RELEASED", ruleId: rule.id, ruleVersion: rule.version,
      addresseeId: filer.id, question: "Please send the invoice.", dueAt: new Date(now.getTime() + 2 * 86_400_000),
      answerText: "invoice attached", answerDocuments: ["INV-2026-0042"], answeredAt: now, answeredById: filer.id,
    },
  });
  await p.riskAlert.create({
    data: { declarationId: id, raisedById: customs.id, raisedByRule: "R-17", ruleId: rule.id, ruleVersion: rule.version, severity: "HIGH", reasonCode: "VAL", reason: "value below market", resolutionNote: "checked", resolvedAt: now, status: "DISMISSED" },
  });
  await p.dutyAssessment.create({
    // a computed line of a corrected assessment (version 2) whose amount customs overrode,
    // so correctionReason, computedAmount and overrideReason are filled too
    data: {
      declarationId: id, assessedById: customs.id, taxType: "VAT", base: "120.50", rate: "0.19", amount: "22.90", currency: "EUR", collectionModel: "IOSS",
      version: 2, correctionReason: "rate corrected", lineKey: "VAT:*", method: "AD_VALOREM", explanation: "VAT 19% of EUR 120.50 (DE VAT_RATE * v1)",
      basis: { taxableEventAt: now.toISOString(), consignmentValue: "120.50", currency: "EUR", rules: [{ jurisdiction: "DE", kind: "VAT_RATE", key: "*", version: 1, legalReference: "UStG 12" }] },
      computedAmount: "22.90", overrideReason: "rounded as on the invoice",
    },
  });
  const recorder = named.carrier ?? named.post ?? filer;
  // a retention (EME) with its reason, every field filled (customsNote as well, though customs
  // would write it), so a null means "denied"
  await p.statusEvent.create({
    data: { declarationId: id, recordedById: recorder.id, code: "HELD_BY_CUSTOMS", reasonCode: "INSPECTION", occurredAt: now, place: "FRA", note: "held at gate 2 for inspection", customsNote: "x-ray lane" },
  });
  return p.declaration.findUniqueOrThrow({ where: { id } });
}

/**
 * A selection of every field of a type, built from the schema itself, so a field added
 * later is covered without editing the tests. Guarded children are expanded one level.
 */
export function selectAll(schema: GraphQLSchema, typeName: string, depth = 0): string {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  const parts: string[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (named.name in HOLDING_OF && depth === 0) parts.push(`${field.name} { ${selectAll(schema, named.name, 1)} }`);
    else parts.push(`${field.name} { __typename ${isObjectType(named) && named.getFields().id ? "id" : ""} }`);
  }
  return parts.join(" ");
}

export function fieldsOf(schema: GraphQLSchema, typeName: string) {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(typeName);
  return Object.values(type.getFields()).map((f) => ({
    name: f.name,
    category: f.extensions?.dataCategory as string | undefined,
    list: isListType(isNonNullType(f.type) ? f.type.ofType : f.type),
    /** the object type a field returns (null for leaves) */
    objectType: isObjectType(getNamedType(f.type)) ? getNamedType(f.type).name : null,
  }));
}
