import "reflect-metadata";
import { execute, parse, type GraphQLObjectType } from "graphql";
import { getMetadataStorage } from "type-graphql";
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
    expect(resolveSimpleFieldsDirectly(schema, undefined, authorize).sort()).toEqual(["Event.followup", "Event.lead", "Followup.lead", "Lead.followUpDetails", "Lead.followups", "Lead.statusLogDetails"]);
  });

  it("still checks @Authorized, with the field's own roles, before calling the method", async () => {
    const schema = await buildAppSchema();
    const checked: unknown[][] = [];
    resolveSimpleFieldsDirectly(schema, undefined, (_context, roles) => {
      checked.push([...roles]);
      throw new Error("refused");
    });
    const followups = (schema.getType("Lead") as GraphQLObjectType).getFields().followups;
    expect(() => followups.resolve!(Object.assign(new Lead(), { id: "lead_x" }), {}, {}, {} as never)).toThrow("refused");
    expect(checked).toEqual([["followups:read"]]);
  });
});

describe("the type-graphql internals the fast paths rely on", () => {
  it("refuses to start when global middlewares are configured (the direct calls would skip them)", async () => {
    const schema = await buildAppSchema();
    expect(() => resolveSimpleFieldsDirectly(schema, [() => undefined], () => undefined)).toThrow(/global middlewares/);
  });

  it("type-graphql still calls params.sort on the metadata's parameter list at every call (or sortResolverParamsOnce is dead weight)", async () => {
    const schema = await buildAppSchema();
    const params = getMetadataStorage().queries.find((q) => q.methodName === "viewer")!.params!;
    const installed = params.sort;
    let calls = 0;
    Object.defineProperty(params, "sort", {
      value(this: typeof params, ...args: Parameters<typeof params.sort>) {
        calls++;
        return installed.apply(this, args);
      },
      configurable: true,
    });
    try {
      const contextValue = { auth: { actor: "a", org: "o", scopes: new Set<string>() } };
      for (let i = 0; i < 2; i++) {
        const res = await execute({ schema, document: parse("{ viewer { actor } }"), contextValue });
        expect(res.errors).toBeUndefined();
        expect(res.data).toEqual({ viewer: { actor: "a" } });
      }
      expect(calls).toBe(2);
    } finally {
      Object.defineProperty(params, "sort", { value: installed, configurable: true });
    }
  });

  it("every resolver's parameter list is kept in index order, and sorting it again changes nothing", async () => {
    await buildAppSchema();
    const storage = getMetadataStorage();
    for (const { params } of [...storage.queries, ...storage.mutations, ...storage.fieldResolvers]) {
      const indexes = (params ?? []).map((p) => p.index);
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
      expect(params?.sort((a, b) => b.index - a.index)).toBe(params); // the installed no-op
      expect((params ?? []).map((p) => p.index)).toEqual(indexes);
    }
  });
});
