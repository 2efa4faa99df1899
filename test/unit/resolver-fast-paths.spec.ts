import "reflect-metadata";
import type { GraphQLObjectType } from "graphql";
import { requireScopes } from "../../src/auth/auth-checker";
import type { Scope } from "../../src/auth/scopes";
import { Lead } from "../../src/leads/lead.entity";
import { buildAppSchema } from "../../src/schema";
import { resolveSimpleFieldsDirectly } from "../../src/common/resolver-fast-paths";

/**
 * Which field resolvers skip type-graphql's per-call wrapper (src/common/resolver-fast-paths.ts).
 * The four a page of leads calls once per lead or per followup must stay among them: a change to a
 * resolver's parameters or decorators that drops one costs Q2 about a tenth of its CPU. What they
 * answer is covered through HTTP by the rest of the suite (`Lead.followups`'s scope in
 * auth.test.ts, the status filter in the batching and followups tests).
 */
describe("resolveSimpleFieldsDirectly", () => {
  it("calls the nested-list and Followup.lead resolvers directly, and nothing with a middleware or a string argument", async () => {
    const schema = await buildAppSchema();
    const authorize = (context: unknown, roles: readonly unknown[]) => requireScopes(context as never, roles as Scope[]);
    expect(resolveSimpleFieldsDirectly(schema, authorize).sort()).toEqual(["Followup.lead", "Lead.followUpDetails", "Lead.followups", "Lead.statusLogDetails"]);
  });

  it("still checks @Authorized, with the field's own roles, before calling the method", async () => {
    const schema = await buildAppSchema();
    const checked: unknown[][] = [];
    resolveSimpleFieldsDirectly(schema, (_context, roles) => {
      checked.push([...roles]);
      throw new Error("refused");
    });
    const followups = (schema.getType("Lead") as GraphQLObjectType).getFields().followups;
    expect(() => followups.resolve!(Object.assign(new Lead(), { id: "lead_x" }), {}, {}, {} as never)).toThrow("refused");
    expect(checked).toEqual([["followups:read"]]);
  });
});
