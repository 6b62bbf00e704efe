import fs from "node:fs";
import path from "node:path";
import { buildSchema } from "graphql";
import { buildBareSchema, printHubSdl } from "../src/schema/build";
import { categorizedFields, installFieldGuards } from "../src/authz/field-guard";

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
