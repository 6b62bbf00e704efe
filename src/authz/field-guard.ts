import { defaultFieldResolver, GraphQLSchema, isNonNullType, isObjectType, type GraphQLFieldResolver } from "graphql";
import { CATEGORY_BIT, CATEGORY_EXTENSION, STRUCTURAL_EXTENSION, type DataCategory } from "./categories";
import { HOLDING_OF } from "./guarded-types";
import { ForbiddenError } from "../shared/errors";
import type { FieldDenial } from "./request-authz";
import type { HubContext } from "../context/context";

/** Types whose fields carry no partner data at all and wrap guarded types (lists, pages). */
export const STRUCTURAL_TYPES = new Set(["DeclarationConnection", "DeclarationEdge", "PageInfo"]);

export interface CategorizedField {
  type: string;
  field: string;
  category: DataCategory;
}

/** Every categorized field of the schema, read from the schema itself. */
export function categorizedFields(schema: GraphQLSchema): CategorizedField[] {
  const out: CategorizedField[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const category = field.extensions?.[CATEGORY_EXTENSION] as DataCategory | undefined;
      if (category) out.push({ type: type.name, field: field.name, category });
    }
  }
  return out;
}

/** Per guarded type, the categories its own fields carry; filled from the built schema below. */
const OWN_CATEGORIES = new Map<string, number>();

/**
 * The categories the fields of a partner-data type carry (one bit each), as the schema
 * states them. A child record is listed only where the viewer may read one of them: a
 * viewer who may read none of its fields must not learn that it exists. 0 (list nothing)
 * for a type whose guards were never installed in this process.
 */
export function ownCategoryMask(typeName: string): number {
  return OWN_CATEGORIES.get(typeName) ?? 0;
}

/**
 * Wraps each categorized field's resolver in a synchronous check against the request's
 * policy. Fails the build when a partner-data type has a field with neither a category
 * nor an explicit structural mark, so no field is ever silently open.
 *
 * A denied field resolves to null. When the executor of the request reports denials itself
 * (RequestAuthz.collectDenials: the HTTP and WebSocket servers, the test kit), the guard only
 * records the denial, and the executor adds one FORBIDDEN error per denial to the response:
 * a thrown error costs a captured stack and a trip through the error formatter, which on a
 * page of mixed rights cost more than the page itself. Otherwise it throws, as any resolver.
 */
export function installFieldGuards(schema: GraphQLSchema): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    const guarded = type.name in HOLDING_OF;
    for (const field of Object.values(type.getFields())) {
      const category = field.extensions?.[CATEGORY_EXTENSION] as DataCategory | undefined;
      if (!category) {
        if (guarded && !field.extensions?.[STRUCTURAL_EXTENSION]) {
          throw new Error(`${type.name}.${field.name} carries partner data but has no data category`);
        }
        continue;
      }
      if (!guarded) throw new Error(`${type.name}.${field.name} has a category but ${type.name} has no data holder`);
      // a denied non-null field would null its parent: partner data is nullable
      if (isNonNullType(field.type)) throw new Error(`${type.name}.${field.name} has a category and must be nullable`);
      const typeName = type.name;
      OWN_CATEGORIES.set(typeName, (OWN_CATEGORIES.get(typeName) ?? 0) | CATEGORY_BIT[category]);
      const resolve: GraphQLFieldResolver<any, HubContext> = field.resolve ?? defaultFieldResolver;
      // one message and one extensions object per field, shared by all its denials
      const denial: FieldDenial = {
        message: `${typeName}.${field.name} is ${category} data you have no right to read`,
        extensions: Object.freeze({ code: "FORBIDDEN" as const, category }),
      };
      field.resolve = (source, args, ctx, info) => {
        if (!ctx.authz.canRead(typeName, source, category)) {
          if (ctx.authz.recordDenial(info, denial)) return null;
          throw new ForbiddenError(denial.message, { category });
        }
        return resolve(source, args, ctx, info);
      };
    }
  }
}

/** Types guarded field by field above; graphql-shield leaves them alone for speed. */
export function isFieldGuardedType(typeName: string): boolean {
  return typeName in HOLDING_OF || STRUCTURAL_TYPES.has(typeName);
}
