/**
 * `npm run bench`: seeds a deterministic dataset into DATABASE_URL (once), starts the server in
 * production mode as a child process, drives it with autocannon and writes bench/results.json and
 * bench/RESULTS.md. Options: `npm run bench -- --help`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import jwt from "jsonwebtoken";
import { Client } from "pg";
import { benchCases, CASE_NAMES, type BenchCase } from "./cases";
import { ensureDataset, flippableLeads, LEADS_PER_ORG, ORGS, PER_LEAD, WRITE_ORG } from "./dataset";
import { EVENT_CASE_NAMES, makeReceiverCert, Receiver, subscriberRound, webhookBurst, webhookRound, type EventsDeps, type EventsResult } from "./events";
import { medianRounds, renderRun, updateResultsMd, type CaseResult, type RunResult } from "./report";
import { cpuMs, hwmTotalMb, mainThreadCpuMs, RssSampler, startServer } from "./server";

const ALL_CASES = [...CASE_NAMES, ...EVENT_CASE_NAMES];
const ROOT = path.resolve(__dirname, "../..");
const BENCH_DIR = path.join(ROOT, "bench");

const HELP = `Usage: DATABASE_URL=postgres://… npm run bench -- [options]

  --duration <s>        seconds per run (default 10)
  --warmup <s>          seconds of warm-up per case at 8 connections (default 2; 0 skips)
  --connections <list>  connection counts (default 1,8,32)
  --cases <list>        cases to run (default T,Q0,Q1,Q2,Q3,Q4,M1,M2,S,W); S and W are the change-event
                        cases: M1 at the highest --connections count alone and with subscribers (S) or
                        webhook endpoints (W), interleaved, once per round (bench/events.ts)
  --subscribers <n>     S: graphql-ws subscribers on the write org, one connection each (default 100)
  --webhooks <n>        W: webhook endpoints on the write org (default 5)
  --burst <n>           W: writes of the delivery-throughput burst (default 1000; 0 skips it)
  --rounds <n>          run every case and connection count n times, interleaved, and report each
                        one's median round (default 1): steadier ratios on a machine whose speed drifts
  --workers <n>         WEB_CONCURRENCY for the server (default: the server's own default)
  --label <text>        also append this run, labelled, to the run log in bench/RESULTS.md
  --reseed              replace the dataset even when it is there already
  --cpu-prof            run the server with --cpu-prof (profiles in bench/profiles/)
  --node-flags <flags>  extra node flags for the server process, e.g. "--max-semi-space-size=32"
  --no-write            print the table only; leave results.json and RESULTS.md alone
  --json <file>         also write the run's results to this file
  --server-root <dir>   start <dir>/dist/src/main.js instead of this checkout's (to compare builds)
`;

interface Options {
  duration: number;
  warmup: number;
  connections: number[];
  cases: string[];
  rounds: number;
  subscribers: number;
  webhooks: number;
  burst: number;
  workers?: number;
  label?: string;
  reseed: boolean;
  cpuProf: boolean;
  nodeFlags: string[];
  write: boolean;
  json?: string;
  serverRoot: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { duration: 10, warmup: 2, connections: [1, 8, 32], cases: ALL_CASES, rounds: 1, subscribers: 100, webhooks: 5, burst: 1000, reseed: false, cpuProf: false, nodeFlags: [], write: true, serverRoot: ROOT };
  const list = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
  const num = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < 0) fail(`${flag} needs a number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case "--duration": opts.duration = num(arg, argv[++i]); break;
      case "--warmup": opts.warmup = num(arg, argv[++i]); break;
      case "--connections": opts.connections = list(argv[++i] ?? "").map((v) => num(arg, v)); break;
      case "--cases": opts.cases = list(argv[++i] ?? "").map((c) => c.toUpperCase()); break;
      case "--rounds": opts.rounds = Math.max(1, Math.round(num(arg, argv[++i]))); break;
      case "--subscribers": opts.subscribers = Math.max(1, Math.round(num(arg, argv[++i]))); break;
      case "--webhooks": opts.webhooks = Math.max(1, Math.round(num(arg, argv[++i]))); break;
      case "--burst": opts.burst = Math.round(num(arg, argv[++i])); break;
      case "--workers": opts.workers = num(arg, argv[++i]); break;
      case "--label": opts.label = argv[++i]; break;
      case "--reseed": opts.reseed = true; break;
      case "--cpu-prof": opts.cpuProf = true; break;
      case "--node-flags": opts.nodeFlags = (argv[++i] ?? "").split(/\s+/).filter(Boolean); break;
      case "--no-write": opts.write = false; break;
      case "--json": opts.json = argv[++i]; break;
      case "--server-root": opts.serverRoot = path.resolve(argv[++i] ?? "."); break;
      case "--help": case "-h": process.stdout.write(HELP); process.exit(0);
      default: fail(`unknown option ${arg}\n\n${HELP}`);
    }
  }
  return opts;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(1);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Connects to DATABASE_URL, creating the database first when it does not exist. */
async function connect(databaseUrl: string): Promise<Client> {
  const client = new Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    return client;
  } catch (err) {
    if ((err as { code?: string }).code !== "3D000") throw err;
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    log(`creating database ${name}`);
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  const created = new Client({ connectionString: databaseUrl });
  await created.connect();
  return created;
}

function loadSummary() {
  const [one, five, fifteen] = os.loadavg().map((n) => Math.round(n * 100) / 100);
  return { one, five, fifteen };
}

interface Sampled {
  statements: number[];
  bytes: number;
  responses: number;
  graphqlErrors: number;
  firstError?: string;
}

async function runOne(url: string, token: string, benchCase: BenchCase, connections: number, duration: number, progress: boolean, label?: string): Promise<{ result: autocannon.Result; sampled: Sampled }> {
  const gen = benchCase.requests();
  const sampled: Sampled = { statements: [], bytes: 0, responses: 0, graphqlErrors: 0 };
  type Ctx = { state?: unknown };
  let finished!: (result: autocannon.Result) => void;
  let failed!: (err: unknown) => void;
  const outcome = new Promise<autocannon.Result>((resolve, reject) => ((finished = resolve), (failed = reject)));
  const instance = autocannon({
    url,
    connections,
    duration,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    requests: [
      {
        method: "POST",
        setupRequest: (req, context) => {
          const { body, state } = gen.next();
          (context as Ctx).state = state;
          return { ...req, body };
        },
        onResponse: (status, body, context, headers) => {
          sampled.responses++;
          sampled.bytes += Buffer.byteLength(body);
          const h = headers as Record<string, string | undefined> | undefined;
          const n = h?.["x-sql-statements"] ?? h?.["X-SQL-Statements"];
          if (n !== undefined) sampled.statements.push(Number(n));
          const ok = status === 200 && !body.includes('"errors":');
          if (!ok && status === 200) {
            sampled.graphqlErrors++;
            sampled.firstError ??= body.slice(0, 300);
          }
          gen.settle?.(ok, (context as Ctx).state);
        },
      },
    ],
  }, (err, result) => (err ? failed(err) : finished(result)));
  let seconds = 0;
  let total = 0;
  // @types/autocannon leaves out the tick's payload.
  (instance as NodeJS.EventEmitter).on("tick", ({ counter }: { counter: number }) => {
    seconds++;
    total += counter;
    if (!progress) return;
    const line = `  ${label ?? benchCase.name} ×${connections}  ${seconds}/${duration} s  ${total} requests  ${counter} req/s`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(72)}`);
    else if (seconds % 5 === 0 || seconds === duration) log(line);
  });
  const result = await outcome;
  if (progress && process.stderr.isTTY) process.stderr.write("\r".padEnd(74) + "\r");
  return { result, sampled };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl))
    fail(
      "DATABASE_URL must point at a PostgreSQL database, e.g.\n" +
        "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_bench npm run bench\n" +
        "The bench seeds two orgs of 10,000 leads into it (the database is created when missing); it does not run on the embedded database.",
    );
  if (!existsSync(path.join(opts.serverRoot, "dist/src/main.js")))
    fail(`${path.join(opts.serverRoot, "dist/src/main.js")} is missing: run \`npm run build\` first (npm run bench does).`);
  const unknown = opts.cases.filter((c) => !ALL_CASES.includes(c));
  if (unknown.length) fail(`unknown case(s) ${unknown.join(", ")}`);

  const client = await connect(databaseUrl);
  const jwtSecret = "bench-secret-0123456789abcdef0123456789abcdef";
  const profDir = path.join(BENCH_DIR, "profiles");
  if (opts.cpuProf) mkdirSync(profDir, { recursive: true });
  const logFile = path.join(os.tmpdir(), `leads-bench-server-${process.pid}.log`);

  // W: production mode takes https webhook targets only; the local receiver's certificate is trusted by the server.
  const receiverTls = opts.cases.includes("W") ? makeReceiverCert() : undefined;
  log(`starting the server (production mode; log: ${logFile})`);
  // The server runs its migrations at start, so the schema exists before seeding.
  const server = await startServer(opts.serverRoot, {
    databaseUrl,
    jwtSecret,
    workers: opts.workers,
    nodeFlags: [...opts.nodeFlags, ...(opts.cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [])],
    logFile,
    extraEnv: {
      ...benchLimitsEnv(),
      ...(receiverTls ? { WEBHOOK_ALLOW_PRIVATE: "true", NODE_EXTRA_CA_CERTS: receiverTls.certFile } : {}),
    },
  });
  const receiver = receiverTls ? new Receiver() : undefined;
  if (receiver && receiverTls) await receiver.start(receiverTls);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    await receiver?.close();
  };
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));

  try {
    const seed = await ensureDataset(client, { reseed: opts.reseed, log });
    log(seed.seeded ? `seeded in ${(seed.ms / 1000).toFixed(1)} s` : "dataset present (marker found); --reseed replaces it");
    const pgVersion = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0].server_version;

    let flippable: Map<string, "OPEN" | "ON_HOLD"> | undefined;
    const allCases = benchCases(() => flippable!);
    const cases = allCases.filter((c) => opts.cases.includes(c.name));
    const m1 = allCases.find((c) => c.name === "M1")!;
    const eventCases = EVENT_CASE_NAMES.filter((c) => opts.cases.includes(c));
    const tokens = new Map<string, string>(
      ORGS.map((org) => [org, jwt.sign({ org, scope: "leads:read leads:write followups:read followups:write webhooks:manage" }, jwtSecret, { algorithm: "HS256", subject: "bench", expiresIn: "1d" })]),
    );

    const started = new Date();
    const loadBefore = loadSummary();
    const results: CaseResult[] = [];
    const totalRuns = cases.length * opts.connections.length * opts.rounds;
    const roundsLabel = opts.rounds > 1 ? ` × ${opts.rounds} rounds` : "";
    const eventRuns = eventCases.length * 2 * opts.rounds;
    log(`running ${cases.length} case(s) × ${opts.connections.length} connection count(s)${roundsLabel}, ${opts.duration} s each (+${opts.warmup} s warm-up per case)` +
      (eventCases.length ? `, and ${eventRuns} M1 runs for ${eventCases.join(", ")}` : "") +
      `: about ${Math.ceil(((totalRuns + eventRuns) * opts.duration + cases.length * opts.warmup) / 60)} min`);
    /** One autocannon run of `benchCase`, measured: the row RESULTS.md shows. */
    const measure = async (benchCase: BenchCase, token: string, connections: number, pass: number, label?: string): Promise<CaseResult> => {
      const rss = new RssSampler(server.pid);
      const load = loadSummary();
      rss.start();
      const cpuBefore = cpuMs(server.pid);
      const mainBefore = mainThreadCpuMs(server.pid);
      const { result, sampled } = await runOne(server.url, token, benchCase, connections, opts.duration, true, label);
      const cpu = cpuMs(server.pid) - cpuBefore;
      const mainCpu = mainThreadCpuMs(server.pid) - mainBefore;
      const memory = rss.stop();
      const statements = sampled.statements;
      const row: CaseResult = {
        case: label ?? benchCase.name,
        connections,
        round: pass,
        requestsPerSecond: round(result.requests.average),
        requests: result.requests.total,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        latencyMaxMs: result.latency.max,
        latencyAvgMs: round(result.latency.average, 2),
        serverCpuMsPerRequest: sampled.responses ? round(cpu / sampled.responses, 2) : 0,
        serverMainThreadCpuMsPerRequest: sampled.responses ? round(mainCpu / sampled.responses, 2) : 0,
        sqlStatementsPerRequest: statements.length ? round(statements.reduce((a, b) => a + b, 0) / statements.length, 2) : null,
        sqlStatementsMax: statements.length ? Math.max(...statements) : null,
        responseBytes: sampled.responses ? Math.round(sampled.bytes / sampled.responses) : 0,
        graphqlErrors: sampled.graphqlErrors,
        non2xx: result.non2xx,
        socketErrors: result.errors,
        timeouts: result.timeouts,
        peakRssMb: memory.peakTotalMb,
        peakProcessRssMb: memory.peakProcessMb,
        peakPssMb: memory.peakPssMb,
        serverProcesses: memory.processes,
        loadAverage1m: load.one,
        firstError: sampled.firstError,
      };
      log(
        `    ${row.requestsPerSecond} req/s  p50 ${row.latencyP50Ms} ms  p99 ${row.latencyP99Ms} ms  max ${row.latencyMaxMs} ms  ${row.serverCpuMsPerRequest} CPU ms/req (main thread ${row.serverMainThreadCpuMsPerRequest})  ` +
          `${row.sqlStatementsPerRequest ?? "?"} SQL/req  ${row.responseBytes} B  RSS ${row.peakRssMb} MB` +
          (row.graphqlErrors ? `  ${row.graphqlErrors} GraphQL errors (first: ${row.firstError})` : "") +
          (row.non2xx ? `  ${row.non2xx} non-2xx` : ""),
      );
      return row;
    };
    let done = 0;
    /** One case's runs at every connection count, in round `pass` (warm-up in the first only). */
    const runCase = async (benchCase: BenchCase, pass: number) => {
      // M2 flips statuses: its picture of them is read again before every run, since the requests
      // cut off at the end of a run (and the probe) changed leads without the bench seeing the answer.
      const refresh = async () => {
        if (benchCase.name !== "M2") return;
        await new Promise((r) => setTimeout(r, 200)); // let the cut-off requests finish
        flippable = await flippableLeads(client);
      };
      await refresh();
      const token = tokens.get(benchCase.org)!;
      // One checked request first: a case that errors is a broken bench, not a slow server.
      const probe = benchCase.requests().next();
      const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: probe.body });
      const text = await res.text();
      if (res.status !== 200 || text.includes('"errors":')) throw new Error(`${benchCase.name} fails: ${res.status} ${text.slice(0, 500)}`);
      await refresh();
      if (opts.warmup > 0 && pass === 1) await runOne(server.url, token, benchCase, 8, opts.warmup, false);

      for (const connections of opts.connections) {
        done++;
        log(`[${done}/${totalRuns}] ${benchCase.name} ${benchCase.title} — ${connections} connection(s)${roundsLabel ? `, round ${pass}` : ""}`);
        await refresh();
        results.push(await measure(benchCase, token, connections, pass));
      }
    };
    const eventsToken = tokens.get(WRITE_ORG)!;
    const topConnections = Math.max(...opts.connections);
    const eventDeps: EventsDeps = {
      db: client,
      serverUrl: server.url,
      token: eventsToken,
      connections: topConnections,
      log,
      measureM1: (label, pass) => measure(m1, eventsToken, topConnections, pass, label),
      m1Body: () => m1.requests().next().body,
    };
    const events: EventsResult = { connections: topConnections };
    if (eventCases.length && opts.warmup > 0) await runOne(server.url, eventsToken, m1, 8, opts.warmup, false);
    for (let pass = 1; pass <= opts.rounds; pass++) {
      for (const benchCase of cases) await runCase(benchCase, pass);
      if (eventCases.includes("S")) (events.subscribers ??= []).push(await subscriberRound(eventDeps, opts.subscribers, pass));
      if (eventCases.includes("W")) (events.webhooks ??= []).push(await webhookRound(eventDeps, receiver!, opts.webhooks, pass));
    }
    if (eventCases.includes("W") && opts.burst > 0) events.burst = await webhookBurst(eventDeps, receiver!, opts.webhooks, opts.burst);
    const serverHwmMb = hwmTotalMb(server.pid);
    await stop();

    const run: RunResult = {
      label: opts.label,
      date: started.toISOString(),
      durationSeconds: opts.duration,
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
        memoryGb: round(os.totalmem() / 1024 ** 3, 1),
        node: process.version,
        postgres: pgVersion,
        platform: `${os.type()} ${os.release()}`,
      },
      load: { before: loadBefore, after: loadSummary() },
      dataset: { orgs: ORGS.length, leadsPerOrg: LEADS_PER_ORG, perLead: PER_LEAD },
      server: {
        root: opts.serverRoot === ROOT ? "." : opts.serverRoot,
        env: Object.fromEntries(Object.entries(server.env).filter(([k]) => !["JWT_SECRET", "DATABASE_URL", "PORT", "NODE_EXTRA_CA_CERTS"].includes(k))),
        peakHwmMb: serverHwmMb,
      },
      queries: Object.fromEntries(cases.map((c) => [c.name, { title: c.title, query: c.query.replace(/\s+/g, " ") }])),
      rounds: opts.rounds,
      results: medianRounds(results),
      ...(opts.rounds > 1 ? { allRounds: results } : {}),
      ...(eventCases.length ? { events } : {}),
    };
    const table = renderRun(run);
    process.stdout.write(`\n${table}\n`);
    if (opts.json) writeFileSync(opts.json, `${JSON.stringify(run, null, 2)}\n`);
    if (opts.write) {
      writeFileSync(path.join(BENCH_DIR, "results.json"), `${JSON.stringify(run, null, 2)}\n`);
      const mdPath = path.join(BENCH_DIR, "RESULTS.md");
      const current = existsSync(mdPath) ? readFileSync(mdPath, "utf8") : "";
      writeFileSync(mdPath, updateResultsMd(current, run));
      log(`wrote bench/results.json and bench/RESULTS.md`);
    }
  } finally {
    await stop();
    await client.end();
  }
}

/**
 * Rate limits and query limits the server enforces per caller; the bench is one caller sending
 * thousands of requests a second, so they are raised out of its way (each still applies, just
 * not at a level the bench reaches). Values given in the bench's own environment win.
 */
function benchLimitsEnv(): Record<string, string> {
  const limits: Record<string, string> = {
    // GetBill's 1,000 reads and 500 writes an hour per caller (src/config.ts) would stop the bench within a second.
    RATE_LIMIT_READS: "1000000000",
    RATE_LIMIT_WRITES: "1000000000",
    // Follow-up timers off: the dataset's nextFollowUp dates are in 2025, so the runner would fire
    // thousands of them under every case (writes to the read org's leads, events in the S and W counts).
    TIMER_POLL_SECONDS: "0",
  };
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith("BENCH_SERVER_") && v !== undefined) limits[k.slice("BENCH_SERVER_".length)] = v;
  return limits;
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
