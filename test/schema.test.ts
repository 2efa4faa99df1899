import { readFileSync } from "node:fs";
import path from "node:path";
import {
  buildClientSchema,
  getIntrospectionQuery,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  printSchema,
  type GraphQLSchema,
} from "graphql";
import { buildAppSchema } from "../src/schema";
import { startTestApp, type TestApp } from "./support/app";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe("schema.graphql", () => {
  it("equals the schema the server serves (run `npm run schema:emit` after changing the API)", async () => {
    const res = await t.gql(getIntrospectionQuery({ descriptions: true, specifiedByUrl: true }));
    expect(res.body.errors).toBeUndefined();
    const served = printSchema(buildClientSchema(res.body.data));
    const committed = readFileSync(path.join(__dirname, "..", "schema.graphql"), "utf8");
    expect(committed.trim()).toBe(served.trim());
  });

  it("describes every type, field, argument and enum value", async () => {
    const schema: GraphQLSchema = await buildAppSchema();
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__")) continue;
      if (!type.description) missing.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of "args" in field ? field.args : []) if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const v of type.getValues()) if (!v.description) missing.push(`${type.name}.${v.name}`);
    }
    expect(missing).toEqual([]);
  });

  it("has the contract's operations", async () => {
    const schema = await buildAppSchema();
    expect(Object.keys(schema.getQueryType()!.getFields()).sort()).toEqual(
      ["events", "followup", "followups", "lead", "leadReasons", "leadSubStatuses", "leads", "node", "viewer", "webhookDeliveries", "webhookEndpoints"].sort(),
    );
    expect(Object.keys(schema.getMutationType()!.getFields()).sort()).toEqual(
      [
        "createFollowup",
        "createLead",
        "createLeadReason",
        "createLeadSubStatus",
        "createWebhookEndpoint",
        "deleteWebhookEndpoint",
        "redeliverWebhook",
        "rotateWebhookSecret",
        "updateFollowup",
        "updateLead",
        "updateLeadFollowups",
        "updateLeadStatus",
        "updateWebhookEndpoint",
      ].sort(),
    );
  });
});
