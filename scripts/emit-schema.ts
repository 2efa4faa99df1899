/** Writes schema.graphql at the repo root from buildAppSchema() (`npm run schema:emit`). */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { printSchema } from "graphql";
import { buildAppSchema } from "../src/schema";

buildAppSchema().then((schema) => {
  const file = path.resolve(__dirname, "..", "..", "schema.graphql");
  writeFileSync(file, printSchema(schema) + "\n");
  process.stdout.write(`wrote ${file}\n`);
});
