/**
 * `npm run bench:decompose`: where Q2's time goes beyond Q1's, measured inside one process
 * (no HTTP, no Apollo, no load generator) against the bench dataset in DATABASE_URL.
 *
 * Each step runs the same work 8 at a time, as the server does (MAX_CONCURRENT_REQUESTS), in
 * rounds that alternate between the steps; the table gives the median round's CPU time per
 * operation (this process, every thread) and its elapsed time per operation (what one main thread
 * can do: the server's bottleneck, see bench/RESULTS.md).
 *
 *   pg      Q2's three nested-list statements, captured from a real Q2, run on a bare pg Pool
 *   typeorm the same statements through the app's DataSource (`ds.query`, as the loaders run them)
 *   Q1, Q2  the compiled operations executed as the server executes them, plus JSON.stringify
 *   Q2-ids  Q2 with only `id` selected in the nested lists: the lists fetched, little printed
 *   Q2-lead Q2 without `lead { id }` under followups: what 250 calls of that resolver cost
 */
import "reflect-metadata";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { parse } from "graphql";
import pg from "pg";
import type { DataSource } from "typeorm";
import type { Context } from "../src/context";
import { openAppDatabase } from "../src/database";
import { pgTypes } from "../src/db/pg-types";
import { createLoaders } from "../src/loaders";
import { buildAppSchema } from "../src/schema";
import { loadConfig } from "../src/config";
import { createServices } from "../src/services";
import { Q1, Q2 } from "./cases";
import { ensureDataset, READ_ORG } from "./dataset";

const CONCURRENCY = 8;

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  const n = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(n) || n <= 0) fail(`${name} needs a positive number`);
  return n;
};
const ROUNDS = option("--rounds", 7);
const OPS = option("--ops", 300);

function fail(message: string): never {
  process.stderr.write(`bench:decompose: ${message}\n`);
  process.exit(1);
}

interface Step {
  name: string;
  what: string;
  run(): Promise<unknown>;
  samples: Array<{ cpuMs: number; wallMs: number }>;
}

/** `ops` runs of `fn`, CONCURRENCY at a time; CPU and elapsed milliseconds per run. */
async function measure(fn: () => Promise<unknown>, ops: number): Promise<{ cpuMs: number; wallMs: number }> {
  let started = 0;
  const worker = async () => {
    while (started++ < ops) await fn();
  };
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 / ops, wallMs: wall / ops };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl))
    fail("DATABASE_URL must point at the bench's PostgreSQL database, e.g.\n  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_bench npm run bench:decompose");

  const db = await openAppDatabase({ databaseUrl, dataDir: "", dbPoolSize: 10, dbPreparedStatements: true });
  const ds: DataSource = db.dataSource;
  const bare = new pg.Pool({ connectionString: databaseUrl, max: 10, types: pgTypes });
  try {
    await ds.runMigrations();
    const client = await bare.connect();
    try {
      const seed = await ensureDataset(client, { reseed: false, log: (line) => process.stderr.write(`${line}\n`) });
      if (seed.seeded) process.stderr.write(`seeded in ${(seed.ms / 1000).toFixed(1)} s\n`);
    } finally {
      client.release();
    }

    const schema = await buildAppSchema();
    const services = createServices(ds, loadConfig(process.env));
    const auth = { actor: "bench", org: READ_ORG, scopes: new Set(["leads:read", "followups:read"]) };
    const context = (): Context => ({ auth, request: { id: "decompose", ip: "127.0.0.1", operations: [] }, services, loaders: createLoaders(ds, READ_ORG) });
    const compile = (query: string): CompiledQuery => {
      const compiled = compileQuery(schema, parse(query), undefined);
      if (!isCompiledQuery(compiled)) fail(`could not compile: ${JSON.stringify(compiled.errors)}`);
      return compiled;
    };
    const execute = (compiled: CompiledQuery, variables: Record<string, unknown>) => async () => {
      const result = await compiled.query(undefined, context(), variables);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors).slice(0, 500)}`);
      return JSON.stringify(result).length;
    };
    const q1 = compile(Q1);
    const q2 = compile(Q2);
    /** Q2 with parts of its selection replaced; a part no longer in Q2 (cases.ts changed) stops the run. */
    const q2With = (...edits: Array<[string, string]>) =>
      compile(
        edits.reduce((query, [from, to]) => {
          if (!query.includes(from)) fail(`Q2 no longer selects \`${from}\`: update bench/decompose.ts`);
          return query.replace(from, to);
        }, Q2),
      );
    const q2NoLead = q2With(["followups { id status lead { id } }", "followups { id status }"]);
    const q2Ids = q2With(
      ["followUpDetails { id followedUpOn notes }", "followUpDetails { id }"],
      ["statusLogDetails { id status createdOn }", "statusLogDetails { id }"],
      ["followups { id status lead { id } }", "followups { id }"],
    );

    // The statements Q2's loaders send, with their values, taken from a real run.
    const captured: Array<{ text: string; values: unknown[] }> = [];
    const query = ds.query.bind(ds);
    ds.query = (async (text: string, values?: unknown[]) => {
      captured.push({ text, values: values ?? [] });
      return query(text, values);
    }) as DataSource["query"];
    await execute(q2, { first: 50 })();
    ds.query = query;
    if (captured.length !== 3) fail(`expected Q2's loaders to send 3 statements, saw ${captured.length}`);

    const steps: Step[] = [
      { name: "pg", what: "Q2's 3 list statements (750 rows) on a bare pg Pool", run: () => Promise.all(captured.map((s, i) => bare.query({ name: `decompose_${i}`, text: s.text, values: s.values }))), samples: [] },
      { name: "typeorm", what: "the same statements through the app's DataSource", run: () => Promise.all(captured.map((s) => ds.query(s.text, s.values))), samples: [] },
      { name: "Q1", what: "Q1 executed (graphql-jit) and stringified", run: execute(q1, {}), samples: [] },
      { name: "Q2-ids", what: "Q2 with only `id` in the nested lists", run: execute(q2Ids, { first: 50 }), samples: [] },
      { name: "Q2-lead", what: "Q2 without `lead { id }` under followups", run: execute(q2NoLead, { first: 50 }), samples: [] },
      { name: "Q2", what: "Q2 executed and stringified", run: execute(q2, { first: 50 }), samples: [] },
    ];
    for (const step of steps) await measure(step.run, Math.ceil(OPS / 2)); // warm-up: JIT, prepared statements
    for (let round = 0; round < ROUNDS; round++) {
      process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
      for (const step of round % 2 ? [...steps].reverse() : steps) step.samples.push(await measure(step.run, OPS));
    }

    const medians = new Map(steps.map((s) => [s.name, { cpu: median(s.samples.map((x) => x.cpuMs)), wall: median(s.samples.map((x) => x.wallMs)) }]));
    const of = (name: string) => medians.get(name)!;
    const lines = [
      `${ROUNDS} rounds of ${OPS} operations, ${CONCURRENCY} at a time; medians. Node ${process.version}.`,
      "",
      "| step | what | CPU ms/op | elapsed ms/op |",
      "| --- | --- | ---: | ---: |",
      ...steps.map((s) => `| ${s.name} | ${s.what} | ${of(s.name).cpu.toFixed(2)} | ${of(s.name).wall.toFixed(2)} |`),
      "",
      `Q2 − Q1: ${(of("Q2").wall - of("Q1").wall).toFixed(2)} ms elapsed per operation. Fetching the lists on a bare pg Pool costs ${of("pg").cpu.toFixed(2)} ms of CPU per operation.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await bare.end();
    await db.close();
  }
}

main().catch((err) => {
  const missing = (err as { code?: string }).code === "3D000" ? " (`npm run bench` creates and seeds it)" : "";
  process.stderr.write(`bench:decompose: ${err instanceof Error ? err.message : String(err)}${missing}\n`);
  process.exit(1);
});
