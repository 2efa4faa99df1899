import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Kind, buildSchema, parse, type DocumentNode, type OperationDefinitionNode } from "graphql";
import { DEMO_ORG } from "../src/demo/seed";
import { ensureDemoData } from "./support/demo";
import { startTestApp, type TestApp } from "./support/app";
import { subscribeEvents } from "./support/subscriptions";
import { waitFor } from "./support/wait";

/**
 * Every operation in docs/examples runs against the demo data, so the docs cannot rot: each must
 * succeed without errors, and every query and mutation of schema.graphql needs an example.
 * Placeholders (`"<…>"` strings in the variables files) are filled as docs/examples/README.md says.
 * Subscriptions run over graphql-ws (the real client), and must deliver an event after a write.
 */
const ROOT = path.join(__dirname, "..");
const DIR = path.join(ROOT, "docs", "examples");
const files = readdirSync(DIR).filter((f) => f.endsWith(".graphql")).sort();

interface Example {
  file: string;
  source: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

function load(file: string): Example {
  const source = readFileSync(path.join(DIR, file), "utf8");
  const document = parse(source);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1) throw new Error(`${file}: expected exactly one operation, found ${operations.length}`);
  const varsFile = path.join(DIR, file.replace(/\.graphql$/, ".variables.json"));
  const variables = existsSync(varsFile) ? (JSON.parse(readFileSync(varsFile, "utf8")) as Record<string, unknown>) : {};
  return { file, source, document, operation: operations[0], variables };
}

const PLACEHOLDER = /^<.*>$/s;

let t: TestApp;
let token: string;

beforeAll(async () => {
  // Webhook examples name a public host; its deliveries go to this machine, where nothing answers (refused at once).
  t = await startTestApp({ webhookAllowPrivate: true, webhookPollMs: 50, webhookLookup: async () => [{ address: "127.0.0.1", family: 4 }] });
  await ensureDemoData(t.app.db.dataSource);
  token = t.token({ org: DEMO_ORG, sub: "docs-examples" });
});
afterAll(() => t?.close());

async function gql(query: string, variables?: Record<string, unknown>) {
  const res = await t.gql(query, variables, { token });
  if (res.body.errors) throw new Error(`${JSON.stringify(res.body.errors)} for ${query}`);
  return res.body.data;
}

const demo = {
  /** The newest OPEN demo lead: the one a front-end shows first. */
  leadId: async () => (await gql("{ leads(first: 1, filter: { status: [OPEN] }) { edges { node { id } } } }")).leads.edges[0].node.id as string,
  followupId: async () => (await gql("{ followups(first: 1) { edges { node { id } } } }")).followups.edges[0].node.id as string,
  reasonId: async () => (await gql("{ leadReasons { id } }")).leadReasons[0].id as string,
  leadVersion: async (id: string) => (await gql("query($id: ID!) { lead(id: $id) { version } }", { id })).lead.version as number,
  endpointId: async () => (await gql("{ webhookEndpoints { id } }")).webhookEndpoints[0].id as string,
  /** The newest delivery of the first endpoint; a new followup (an event every example endpoint takes) makes one when there is none. */
  deliveryId: async () => {
    const endpointId = await demo.endpointId();
    const newest = async () =>
      (await gql("query($id: ID!) { webhookDeliveries(endpointId: $id, first: 1) { edges { node { id } } } }", { id: endpointId })).webhookDeliveries.edges[0]?.node.id as string | undefined;
    if (!(await newest())) await gql("mutation($input: CreateFollowupInput!) { createFollowup(input: $input) { followup { id } } }", { input: { leadId: await demo.leadId(), type: "CALL" } });
    await waitFor(async () => !!(await newest()));
    return (await newest())!;
  },
  followupVersion: async (id: string) => (await gql("query($id: ID!) { followup(id: $id) { version } }", { id })).followup.version as number,
};

/** Replaces every `"<…>"` placeholder, by the key it stands under. */
async function fill(example: Example): Promise<Record<string, unknown>> {
  const ids: { leadId?: string; followupId?: string } = {};
  const pending: Array<{ holder: Record<string, unknown>; key: string }> = [];
  const walk = async (value: unknown): Promise<void> => {
    if (Array.isArray(value)) for (const v of value) await walk(v);
    else if (value && typeof value === "object") {
      const holder = value as Record<string, unknown>;
      for (const [key, v] of Object.entries(holder)) {
        if (typeof v === "string" && PLACEHOLDER.test(v)) {
          if (key === "leadId") holder[key] = ids.leadId ??= await demo.leadId();
          else if (key === "followupId") holder[key] = ids.followupId ??= await demo.followupId();
          else if (key === "reasonId") holder[key] = await demo.reasonId();
          else if (key === "endpointId") holder[key] = await demo.endpointId();
          else if (key === "deliveryId") holder[key] = await demo.deliveryId();
          else if (key === "expectedVersion" || key === "after") pending.push({ holder, key });
          else throw new Error(`${example.file}: no rule fills the placeholder at "${key}"`);
        } else await walk(v);
      }
    }
  };
  const variables = structuredClone(example.variables);
  await walk(variables);
  for (const { holder, key } of pending) {
    if (key === "expectedVersion") {
      if (ids.followupId) holder[key] = await demo.followupVersion(ids.followupId);
      else if (ids.leadId) holder[key] = await demo.leadVersion(ids.leadId);
      else throw new Error(`${example.file}: expectedVersion needs a leadId or followupId in the same variables`);
    } else {
      // `after`: the end cursor of the first page of the same operation.
      holder[key] = null;
      const first = await gql(example.source, variables);
      holder[key] = findKey(first, "endCursor");
      if (typeof holder[key] !== "string") throw new Error(`${example.file}: the first page has no endCursor to continue from`);
    }
  }
  return variables;
}

function findKey(value: unknown, key: string): unknown {
  if (!value || typeof value !== "object") return undefined;
  if (key in value) return (value as Record<string, unknown>)[key];
  for (const v of Object.values(value)) {
    const found = findKey(v, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe("docs/examples", () => {
  it("has examples, each with a header comment and variables that match the operation", () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
    const orphans = readdirSync(DIR)
      .filter((f) => f.endsWith(".variables.json"))
      .filter((f) => !files.includes(f.replace(/\.variables\.json$/, ".graphql")));
    expect(orphans).toEqual([]);
    for (const file of files) {
      const example = load(file);
      const header = example.source.split("\n").filter((line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith("#")));
      expect({ file, headerLines: header.length >= 2 }).toEqual({ file, headerLines: true });
      const declared = (example.operation.variableDefinitions ?? []).map((v) => v.variable.name.value);
      expect({ file, undeclared: Object.keys(example.variables).filter((k) => !declared.includes(k)) }).toEqual({ file, undeclared: [] });
      const required = (example.operation.variableDefinitions ?? [])
        .filter((v) => v.type.kind === Kind.NON_NULL_TYPE && !v.defaultValue)
        .map((v) => v.variable.name.value);
      expect({ file, missing: required.filter((k) => !(k in example.variables)) }).toEqual({ file, missing: [] });
    }
  });

  it("covers every query and mutation of schema.graphql", () => {
    const schema = buildSchema(readFileSync(path.join(ROOT, "schema.graphql"), "utf8"));
    const covered = new Set<string>();
    for (const file of files) {
      const { operation } = load(file);
      const root = operation.operation === "mutation" ? "Mutation" : operation.operation === "query" ? "Query" : "Subscription";
      for (const sel of operation.selectionSet.selections) if (sel.kind === Kind.FIELD) covered.add(`${root}.${sel.name.value}`);
    }
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .filter((type) => !!type)
      .flatMap((type) => Object.keys(type.getFields()).map((name) => `${type.name}.${name}`));
    expect(fields.length).toBeGreaterThanOrEqual(16);
    expect(fields.filter((f) => !covered.has(f))).toEqual([]);
  });

  it.each(files)("%s runs against the demo data without errors", async (file) => {
    const example = load(file);
    const variables = await fill(example);
    if (example.operation.operation === "subscription") return runSubscription(example, variables);
    const res = await t.gql(example.source, variables, { token });
    expect(res.body.errors).toBeUndefined();
    expect(res.status).toBe(200);
    // A placeholder filled wrongly shows up as a null root field (an unknown id gives null).
    const data = res.body.data as Record<string, unknown>;
    expect(Object.entries(data).filter(([, v]) => v === null)).toEqual([]);
  });
});

/**
 * A subscription example over WebSocket: subscribed, then a write on the demo lead (an owner
 * change: LEAD_UPDATED, and the lead is among every example's types) repeated until an event
 * arrives, since the subscription may not be live yet. At least one event, no error, no close.
 */
async function runSubscription(example: Example, variables: Record<string, unknown>) {
  const sub = subscribeEvents(t.url, { authorization: `Bearer ${token}` }, variables, { query: example.source });
  try {
    const leadId = await demo.leadId();
    for (let i = 0; sub.events.length === 0 && sub.errors.length === 0 && sub.closeCode === undefined && i < 50; i++) {
      await gql("mutation($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { id } } }", { id: leadId, input: { owner: `examples-${example.file}-${i}` } });
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sub.errors).toEqual([]);
    const [event] = await sub.waitForEvents(1);
    expect(sub.errors).toEqual([]);
    expect(sub.closeCode).toBeUndefined();
    expect(event).toEqual(expect.objectContaining({ id: expect.any(String), cursor: expect.any(String), type: expect.any(String) }));
  } finally {
    await sub.dispose();
  }
}
