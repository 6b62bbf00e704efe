import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { DeclarationCategory } from "../../generated/prisma/enums";
import type { Declaration as DeclarationRow } from "../../generated/prisma/client";
import { Declaration } from "./declarations.types";

/*
 * Filing inputs. Formats are checked by DeclarationFiling (not class-validator), so every
 * problem is reported with its full input path in one BAD_USER_INPUT error. Decimal
 * amounts travel as strings so no value is ever rounded through a float.
 */

@InputType({ description: "One line of a declaration (CN 23 level)." })
export class GoodsItemInput {
  @Field(() => String, { description: "Plain-language description of the goods (max 512 characters)" })
  description!: string;
  @Field(() => Int, { description: "Number of units, at least 1" })
  quantity!: number;
  @Field(() => String, { description: 'Net weight of the line in kg, exact decimal string, up to 3 decimals, e.g. "0.250"' })
  netWeightKg!: string;
  @Field(() => String, { description: 'Value of the line, exact decimal string, up to 2 decimals, e.g. "19.90"' })
  value!: string;
  @Field(() => String, { description: "ISO 4217 currency of the value: the declaration's currency (one currency per declaration)" })
  currency!: string;
  @Field(() => String, { description: "Harmonized System code, 6 to 10 digits (dots and spaces are ignored), of a chapter and heading of the HS 2022 nomenclature (src/shared/data/hs-nomenclature.json)" })
  hsCode!: string;
  @Field(() => String, { description: "ISO 3166-1 alpha-2 country of origin of the goods" })
  originCountry!: string;
}

@InputType({
  description:
    "A house-level declaration of one parcel. The caller's party is the filer. Filing is idempotent on " +
    "(filer, localReference): the same payload again returns the declaration already filed; a different " +
    "payload under the same localReference is a CONFLICT (use amendDeclaration to change it).",
})
export class DeclarationInput {
  @Field(() => String, { description: "The filer's own unique reference for this declaration (max 64 characters)" })
  localReference!: string;
  @Field(() => String, {
    description: "UPU S10 tracking number (service indicator, check digit and country verified, e.g. RR123456785CN) or a carrier's own: 6-40 of A-Z, 0-9, '-'",
  })
  trackingNumber!: string;
  @Field(() => ID, { nullable: true, description: "Id of the e-commerce platform (party of kind PLATFORM)" })
  platformId?: string | null;
  @Field(() => ID, { nullable: true, description: "Id of the express carrier (party of kind CARRIER)" })
  carrierId?: string | null;
  @Field(() => ID, { nullable: true, description: "Id of the postal operator (party of kind POST)" })
  postId?: string | null;
  @Field(() => String, { description: "ISO 3166-1 alpha-2 country of departure" })
  originCountry!: string;
  @Field(() => String, { description: "ISO 3166-1 alpha-2 country of destination; differs from the origin" })
  destinationCountry!: string;
  @Field(() => String, { description: 'Total declared value, exact decimal string, up to 2 decimals, e.g. "42.00": the sum of the goods items\' values within the destination\'s VALUE_TOLERANCE rule in force (exactly where none is)' })
  totalValue!: string;
  @Field(() => String, { description: "ISO 4217 currency of the total value" })
  currency!: string;
  @Field(() => String, { description: "Gross weight in kg, exact decimal string, up to 3 decimals; not below the sum of net weights" })
  grossWeightKg!: string;
  @Field(() => DeclarationCategory, { description: "Nature of the consignment (CN 23)" })
  category!: DeclarationCategory;
  @Field(() => String, {
    nullable: true,
    description: "IOSS number (IM + the member state's 3-digit country code + 7 digits); only for a SALE_OF_GOODS into an EU member state, without excise goods",
  })
  iossNumber?: string | null;
  @Field(() => String, { nullable: true, description: "The platform's order id (max 64 characters)" })
  platformOrderId?: string | null;
  @Field(() => String, { nullable: true, description: "Incoterms 2020 code, e.g. DAP or DDP" })
  incoterm?: string | null;
  @Field(() => Boolean, {
    nullable: true,
    description: "Delivered duty paid. Defaults to whether incoterm is DDP; must agree with it when both are given",
  })
  ddp?: boolean | null;
  @Field(() => String, { nullable: true, description: "Seller's name (max 200 characters)" })
  sellerName?: string | null;
  @Field(() => String, { nullable: true, description: "Seller's address (max 500 characters)" })
  sellerAddress?: string | null;
  @Field(() => String, { nullable: true, description: "Seller's country (ISO 3166-1 alpha-2)" })
  sellerCountry?: string | null;
  @Field(() => String, { nullable: true, description: "Buyer's (consignee's) name (max 200 characters)" })
  buyerName?: string | null;
  @Field(() => String, { nullable: true, description: "Buyer's address (max 500 characters)" })
  buyerAddress?: string | null;
  @Field(() => String, { nullable: true, description: "Buyer's country (ISO 3166-1 alpha-2)" })
  buyerCountry?: string | null;
  @Field(() => String, { nullable: true, description: "Buyer's e-mail" })
  buyerEmail?: string | null;
  @Field(() => [GoodsItemInput], { description: "The goods items, 1 to 999, in line order" })
  goodsItems!: GoodsItemInput[];
}

// ---- results ------------------------------------------------------------------------
// `declaration` holds the Prisma row; the Declaration object type resolves its fields.

@ObjectType("InputProblem", { description: "One problem with an input value." })
export class InputProblemType {
  @Field(() => String, { description: "Path of the offending value, e.g. declarations[3].goodsItems[0].hsCode" })
  path!: string;
  @Field(() => String, { description: "What is wrong with it" })
  message!: string;
}

@ObjectType({ description: "Why one declaration of a bulk filing was not filed." })
export class FilingError {
  @Field(() => String, { description: "Error code, as in extensions.code: BAD_USER_INPUT or CONFLICT" })
  code!: string;
  @Field(() => String)
  message!: string;
  @Field(() => String, { nullable: true, description: "Path of the first offending value, if any" })
  path!: string | null;
  @Field(() => [InputProblemType], { description: "Every problem found in this declaration (BAD_USER_INPUT)" })
  problems!: InputProblemType[];
}

@ObjectType({ description: "What became of one declaration of a bulk filing." })
export class FilingOutcome {
  @Field(() => Int, { description: "Position of the declaration in the input list, from 0" })
  index!: number;
  @Field(() => Declaration, { nullable: true, description: "The declaration filed (or filed before); null on error" })
  declaration!: DeclarationRow | null;
  @Field(() => Boolean, { description: "true if filed by this call; false for an idempotent replay or an error" })
  created!: boolean;
  @Field(() => FilingError, { nullable: true, description: "Why it was not filed; null on success" })
  error!: FilingError | null;
}

@ObjectType({
  description:
    "Result of a bulk filing: one outcome per input, in input order. Each declaration is atomic (with its " +
    "goods items, or not at all); a bad one does not stop the others.",
})
export class BulkFilingResult {
  @Field(() => [FilingOutcome], { description: "One outcome per input, in input order" })
  results!: FilingOutcome[];
  @Field(() => Int, { description: "How many declarations this call created" })
  createdCount!: number;
  @Field(() => Int, { description: "How many were idempotent replays of declarations already filed" })
  replayedCount!: number;
  @Field(() => Int, { description: "How many were refused (see their error)" })
  failedCount!: number;
}

@ObjectType({ description: "Result of filing one declaration." })
export class FilingResult {
  @Field(() => Declaration)
  declaration!: DeclarationRow;
  @Field(() => Boolean, { description: "true if filed by this call; false for an idempotent replay" })
  created!: boolean;
}
