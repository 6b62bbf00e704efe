import { defaultFieldResolver, GraphQLSchema, isObjectType, type GraphQLFieldResolver } from "graphql";
import { CATEGORY_EXTENSION, STRUCTURAL_EXTENSION, type DataCategory } from "./categories";
import { HOLDING_OF } from "./guarded-types";
import { ForbiddenError } from "../shared/errors";
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

/**
 * Wraps each categorized field's resolver in a synchronous check against the request's
 * policy. Fails the build when a partner-data type has a field with neither a category
 * nor an explicit structural mark, so no field is ever silently open.
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
      const typeName = type.name;
      const resolve: GraphQLFieldResolver<any, HubContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, ctx, info) => {
        if (!ctx.authz.canRead(typeName, source, category)) {
          throw new ForbiddenError(`${typeName}.${info.fieldName} is ${category} data you have no right to read`, {
            category,
          });
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
