import fs from "node:fs";
import path from "node:path";
import { buildSchema, getNamedType, isNonNullType, isObjectType, isScalarType, type GraphQLObjectType, type GraphQLSchema } from "graphql";
import { buildBareSchema, printHubSdl } from "../src/schema/build";
import { categorizedFields, installFieldGuards } from "../src/authz/field-guard";
import { HOLDING_OF } from "../src/authz/guarded-types";
import { ALL_CATEGORIES, CATEGORY_EXTENSION } from "../src/authz/categories";

describe("committed SDL", () => {
  it("schema/schema.graphql is what the code prints (run `npm run schema:emit`)", async () => {
    const committed = fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8");
    expect(committed).toBe(await printHubSdl());
  });

  it("states each partner-data field's category in its description", async () => {
    const sdl = buildSchema(fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8"));
    const fields = categorizedFields(await buildBareSchema());
    expect(fields.length).toBeGreaterThan(50);
    for (const f of fields) {
      const description = (sdl.getType(f.type) as any).getFields()[f.field].description as string;
      expect({ field: `${f.type}.${f.field}`, tagged: description.startsWith(`[${f.category}]`) }).toEqual({ field: `${f.type}.${f.field}`, tagged: true });
    }
  });
});

describe("categories are mandatory on partner-data types", () => {
  it("a field of a partner-data type without a category fails the build", () => {
    const sneaky = buildSchema(`type Query { d: Declaration } type Declaration { id: ID, sneaky: String }`);
    expect(() => installFieldGuards(sneaky)).toThrow("Declaration.id carries partner data but has no data category");
  });
});

/**
 * Partner-data types reachable from Declaration (through its fields, their fields, ...),
 * and the public-directory types it links to (Party), which are not walked into.
 */
function reachableFromDeclaration(schema: GraphQLSchema) {
  const walked: GraphQLObjectType[] = [];
  const directory = new Set<string>();
  const queue = [schema.getType("Declaration") as GraphQLObjectType];
  const seen = new Set<string>(["Declaration"]);
  while (queue.length) {
    const type = queue.shift()!;
    walked.push(type);
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (!isObjectType(named) || seen.has(named.name)) continue;
      seen.add(named.name);
      if (named.name in HOLDING_OF) queue.push(named);
      else directory.add(named.name);
    }
  }
  return { walked, directory };
}

describe("every field reachable from Declaration carries one [CATEGORY]", () => {
  let schema: GraphQLSchema;
  let sdl: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildBareSchema();
    sdl = buildSchema(fs.readFileSync(path.join(__dirname, "../schema/schema.graphql"), "utf8"));
  });

  it("walks the declaration, its goods items, holds, status events, risk alerts and duty assessments", () => {
    const { walked, directory } = reachableFromDeclaration(schema);
    expect(walked.map((t) => t.name).sort()).toEqual(["Declaration", "DutyAssessment", "GoodsItem", "Hold", "Referral", "RiskAlert", "StatusEvent"]);
    expect([...directory]).toEqual(["Party"]);
  });

  it("each field: exactly one category, in its extensions and as the one [TAG] of its SDL description; ids alone exempt", () => {
    const tag = new RegExp(`\\[(${ALL_CATEGORIES.join("|")})\\]`, "g");
    const problems: string[] = [];
    let categorized = 0;
    for (const type of reachableFromDeclaration(schema).walked) {
      for (const field of Object.values(type.getFields())) {
        const name = `${type.name}.${field.name}`;
        const category = field.extensions?.[CATEGORY_EXTENSION] as string | undefined;
        const description = ((sdl.getType(type.name) as GraphQLObjectType).getFields()[field.name]?.description ?? "") as string;
        const tags = [...description.matchAll(tag)].map((m) => m[1]);
        if (category) {
          categorized++;
          if (!ALL_CATEGORIES.includes(category as never)) problems.push(`${name}: unknown category ${category}`);
          if (tags.length !== 1 || tags[0] !== category || !description.startsWith(`[${category}] `)) problems.push(`${name}: SDL tags ${JSON.stringify(tags)}, extension ${category}`);
          if (isNonNullType(field.type)) problems.push(`${name}: categorized but non-null (a denial would null its parent)`);
          continue;
        }
        // The one exemption: the record's own id (an ID! named id). It carries no partner
        // data, only the record's existence, which is decided for the record as a whole: a
        // declaration is returned, a child listed, only where one of its categorized fields
        // is readable (see declarations.types.ts and test/authz/denials.test.ts).
        const isOwnId = field.name === "id" && isNonNullType(field.type) && isScalarType(field.type.ofType) && field.type.ofType.name === "ID";
        if (!isOwnId) problems.push(`${name}: no category`);
        else if (tags.length) problems.push(`${name}: an id tagged ${tags.join(", ")}`);
      }
    }
    expect(problems).toEqual([]);
    expect(categorized).toBeGreaterThan(60);
  });

  it("version and lineNumber are STATUS and COMMERCIAL", () => {
    const category = (type: string, field: string) => (schema.getType(type) as GraphQLObjectType).getFields()[field].extensions?.[CATEGORY_EXTENSION];
    expect(category("Declaration", "version")).toBe("STATUS");
    expect(category("GoodsItem", "lineNumber")).toBe("COMMERCIAL");
  });

  it("the parties a declaration names are the public directory; the link to each carries the category", () => {
    const declaration = schema.getType("Declaration") as GraphQLObjectType;
    const links = Object.values(declaration.getFields()).filter((f) => getNamedType(f.type).name === "Party");
    expect(Object.fromEntries(links.map((f) => [f.name, f.extensions?.[CATEGORY_EXTENSION]]))).toEqual({
      filer: "PARTIES",
      carrier: "TRANSPORT",
      post: "TRANSPORT",
      platform: "COMMERCIAL",
    });
    // Party is what party(id) and parties answer any authenticated caller, and carries no
    // declaration's data: nothing on it is categorized, nor guarded per declaration.
    const query = schema.getQueryType()!.getFields();
    expect(getNamedType(query.party.type).name).toBe("Party");
    expect(getNamedType(query.parties.type).name).toBe("Party");
    expect("Party" in HOLDING_OF).toBe(false);
    for (const f of Object.values((schema.getType("Party") as GraphQLObjectType).getFields())) {
      expect({ field: f.name, category: f.extensions?.[CATEGORY_EXTENSION] }).toEqual({ field: f.name, category: undefined });
    }
  });
});
