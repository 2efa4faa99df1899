import "reflect-metadata";
import { buildAppSchema } from "../../src/schema";
import { resolveSimpleFieldsDirectly } from "../../src/common/resolver-fast-paths";

/**
 * Which field resolvers skip type-graphql's per-call wrapper (src/common/resolver-fast-paths.ts).
 * The four a page of leads calls once per lead or per followup must stay among them: a change to a
 * resolver's parameters or decorators that drops one costs Q2 about a tenth of its CPU. What they
 * answer is covered through HTTP by the rest of the suite (scopes in auth.test.ts, the status filter
 * in lead-followups and batching tests).
 */
describe("resolveSimpleFieldsDirectly", () => {
  it("calls the nested-list and Followup.lead resolvers directly, and nothing with a scope, a middleware or a string argument", async () => {
    const schema = await buildAppSchema();
    expect(resolveSimpleFieldsDirectly(schema).sort()).toEqual(["Followup.lead", "Lead.followUpDetails", "Lead.followups", "Lead.statusLogDetails"]);
  });
});
