import { Extensions, Field, registerEnumType } from "type-graphql";
import { DataCategory } from "../generated/prisma/enums";

export { DataCategory };

type ReturnTypeFunc = (returns?: void) => any;

registerEnumType(DataCategory, {
  name: "DataCategory",
  description: "The data category a field belongs to; what a party may read follows from it.",
});

export const ALL_CATEGORIES = Object.values(DataCategory) as DataCategory[];

/** One bit per category, so a row's read decision is a single small integer. */
export const CATEGORY_BIT: Record<DataCategory, number> = Object.fromEntries(
  ALL_CATEGORIES.map((c, i) => [c, 1 << i]),
) as Record<DataCategory, number>;
export const ALL_MASK = ALL_CATEGORIES.reduce((m, c) => m | CATEGORY_BIT[c], 0);

export function maskOf(categories: Iterable<DataCategory>): number {
  let mask = 0;
  for (const c of categories) mask |= CATEGORY_BIT[c];
  return mask;
}

export function categoriesOf(mask: number): DataCategory[] {
  return ALL_CATEGORIES.filter((c) => mask & CATEGORY_BIT[c]);
}

/** Key under which a field's category travels in the built schema's field extensions. */
export const CATEGORY_EXTENSION = "dataCategory";
/** Marks a field of a partner-data type that carries no partner data (ids, line numbers). */
export const STRUCTURAL_EXTENSION = "structural";

interface CategoryFieldOptions {
  description: string;
  nullable?: boolean;
}

/**
 * A partner-data field. Its category is stated in the SDL description and stored in the
 * field's extensions, where the field guard reads it: one declaration, no second list.
 * Such fields are nullable because a denied field resolves to null.
 */
export function CategoryField(
  category: DataCategory,
  typeFunc: ReturnTypeFunc,
  options: CategoryFieldOptions,
): PropertyDecorator & MethodDecorator {
  const field = Field(typeFunc, {
    nullable: options.nullable ?? true,
    description: `[${category}] ${options.description}`,
  });
  const ext = Extensions({ [CATEGORY_EXTENSION]: category });
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    field(target, key, descriptor as PropertyDescriptor);
    ext(target, key, descriptor as PropertyDescriptor);
  };
}

/** A field of a partner-data type that identifies a record and carries no partner data. */
export function StructuralField(
  typeFunc: ReturnTypeFunc,
  options: { description: string },
): PropertyDecorator & MethodDecorator {
  const field = Field(typeFunc, { nullable: false, description: options.description });
  const ext = Extensions({ [STRUCTURAL_EXTENSION]: true });
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    field(target, key, descriptor as PropertyDescriptor);
    ext(target, key, descriptor as PropertyDescriptor);
  };
}
