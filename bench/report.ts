import type { EventsResult } from "./events";

export interface CaseResult {
  case: string;
  connections: number;
  /** Which round of `--rounds` this row was measured in (1 when there was one). */
  round?: number;
  /** With `--rounds`: every round's requests/s, in round order (this row is the median one). */
  roundsRequestsPerSecond?: number[];
  requestsPerSecond: number;
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The slowest response: a stall of a few requests (a checkpoint's fsync, say) shows here, not in p99. */
  latencyMaxMs?: number;
  latencyAvgMs: number;
  /** Mean of the `X-SQL-Statements` header over every response of the run. */
  sqlStatementsPerRequest: number | null;
  sqlStatementsMax: number | null;
  /** Mean response body size. */
  responseBytes: number;
  /** 200 responses carrying GraphQL `errors` (e.g. a status change refused). */
  graphqlErrors: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** Server CPU time (user + system, all processes) per request: less sensitive than req/s to other load on the machine. */
  serverCpuMsPerRequest: number;
  /** The part of it spent on the processes' main threads, which run every request (absent in runs before session 4). */
  serverMainThreadCpuMsPerRequest?: number;
  /** Peak resident memory of the server's process tree (primary and workers), summed at one instant. */
  peakRssMb: number;
  peakProcessRssMb: number;
  /** Peak PSS of the process tree: shared pages counted once (equals the RSS for one process). */
  peakPssMb: number;
  serverProcesses: number;
  loadAverage1m: number;
  firstError?: string;
}

export interface RunResult {
  label?: string;
  date: string;
  durationSeconds: number;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; postgres: string; platform: string };
  load: { before: { one: number; five: number; fifteen: number }; after: { one: number; five: number; fifteen: number } };
  dataset: { orgs: number; leadsPerOrg: number; perLead: number };
  server: { root: string; env: Record<string, string>; peakHwmMb: number };
  queries: Record<string, { title: string; query: string }>;
  /** `--rounds`; `results` then holds each case's median round, `allRounds` every row. */
  rounds?: number;
  results: CaseResult[];
  allRounds?: CaseResult[];
  /** The change-event cases S and W (bench/events.ts), when run. */
  events?: EventsResult;
}

/**
 * One row per case and connection count: the round with the median requests/s (the lower middle
 * one for an even count), carrying every round's requests/s in `roundsRequestsPerSecond`.
 */
export function medianRounds(rows: CaseResult[]): CaseResult[] {
  const groups = new Map<string, CaseResult[]>();
  for (const row of rows) {
    const key = `${row.case}:${row.connections}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) =>
    group.length === 1 ? group[0] : { ...lowerMedian(group, (r) => r.requestsPerSecond), roundsRequestsPerSecond: group.map((r) => r.requestsPerSecond) },
  );
}

/** The middle item by `value` (the lower of the two middle ones for an even count): always one that was measured. */
function lowerMedian<T>(items: T[], value: (item: T) => number): T {
  return [...items].sort((a, b) => value(a) - value(b))[Math.floor((items.length - 1) / 2)];
}

const fmt = (n: number | null, digits = 0) => (n === null ? "–" : n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));

export function resultsTable(run: RunResult): string {
  const lines = [
    "| case | conns | req/s | p50 ms | p99 ms | max ms | server CPU ms/req | main thread ms/req | SQL/req | resp bytes | GraphQL errors | non-2xx | peak RSS MB (sum) | peak PSS MB | load 1m |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of run.results) {
    const spread = r.roundsRequestsPerSecond ? ` (${fmt(Math.min(...r.roundsRequestsPerSecond))}–${fmt(Math.max(...r.roundsRequestsPerSecond))})` : "";
    lines.push(
      `| ${r.case} | ${r.connections} | ${fmt(r.requestsPerSecond)}${spread} | ${fmt(r.latencyP50Ms)} | ${fmt(r.latencyP99Ms)} | ${fmt(r.latencyMaxMs ?? null)} | ${fmt(r.serverCpuMsPerRequest, 2)} | ${fmt(r.serverMainThreadCpuMsPerRequest ?? null, 2)} | ${fmt(r.sqlStatementsPerRequest, 1)} | ${fmt(r.responseBytes)} | ${r.graphqlErrors} | ${r.non2xx + r.socketErrors} | ${r.peakRssMb} | ${r.peakPssMb} | ${r.loadAverage1m} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The targets this bench can judge alone, on this run's numbers at the highest connection count
 * measured. Throughput targets are ratios to PostGraphile v5 and node+pg, measured side by side by
 * ../shared/peer-bench (bench/RESULTS.md).
 */
export function targets(run: RunResult): string[] {
  const top = Math.max(...run.results.map((r) => r.connections));
  const at = (name: string) => run.results.find((r) => r.case === name && r.connections === top);
  const q1 = at("Q1");
  const m1 = at("M1");
  const out: string[] = [];
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  // Statement counts and memory: the worst of every round, not of the median one.
  const every = run.allRounds ?? run.results;
  const q2All = every.filter((r) => r.case === "Q2");
  if (q2All.length) {
    const max = Math.max(...q2All.map((r) => r.sqlStatementsMax ?? Infinity));
    out.push(`Q2 SQL statements per request: at most ${max} (target ≤ 5): ${mark(max <= 5)}`);
  }
  if (q1 && m1) {
    const ratio = m1.requestsPerSecond / q1.requestsPerSecond;
    out.push(`M1 at ${top} connections: ${Math.round(ratio * 100)}% of Q1's requests/s (target ≥ 30%): ${mark(ratio >= 0.3)}`);
  }
  const atTop = every.filter((r) => r.connections === top);
  if (atTop.length) {
    const peak = Math.max(...atTop.map((r) => r.peakRssMb));
    const pss = Math.max(...atTop.map((r) => r.peakPssMb));
    const perProcess = Math.max(...atTop.map((r) => r.peakProcessRssMb));
    const processes = Math.max(...atTop.map((r) => r.serverProcesses));
    out.push(
      `Server peak RSS at ${top} connections: ${peak} MB summed over ${processes} process(es)` +
        (processes > 1 ? ` (PSS ${pss} MB; largest process ${perProcess} MB)` : "") +
        ` (target < 300 MB): ${mark(peak < 300)}`,
    );
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const pct = (n: number) => `${n > 0 ? "+" : ""}${Math.round(n * 1000) / 10}%`;

/** The S and W tables and their targets (M1 loses ≤ 10 %, p99 delivery < 1 s, no event missed). */
export function eventsSection(events: EventsResult): string[] {
  const mark = (ok: boolean) => (ok ? "met" : "NOT met");
  const out: string[] = [];
  const c = events.connections;
  if (events.subscribers?.length) {
    const rows = events.subscribers;
    out.push(
      "",
      `**S: M1 ×${c} alone, then with ${rows[0].subscribers} graphql-ws subscribers** (each its own connection, one \`events\` subscription, write org), interleaved per round; delivery latency = receipt − occurredOn.`,
      "",
      "| round | M1 alone req/s | M1 + subscribers req/s | change | main thread ms/write alone / with | M1 p99 ms alone / with | events | deliveries | missed | duplicates | delivery p50 ms | p99 ms | max ms | drain ms | subscriber process CPU |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows.map(
        (r) =>
          `| ${r.round} | ${fmt(r.alone.requestsPerSecond)} | ${fmt(r.with.requestsPerSecond)} | ${pct(r.with.requestsPerSecond / r.alone.requestsPerSecond - 1)} | ${fmt(r.alone.serverMainThreadCpuMsPerRequest ?? null, 2)} / ${fmt(r.with.serverMainThreadCpuMsPerRequest ?? null, 2)} | ${fmt(r.alone.latencyP99Ms)} / ${fmt(r.with.latencyP99Ms)} | ${fmt(r.outcome.expected)} | ${fmt(r.outcome.delivered)} | ${fmt(r.outcome.misses)} | ${fmt(r.outcome.duplicates)} | ${fmt(r.outcome.latencyP50Ms)} | ${fmt(r.outcome.latencyP99Ms)} | ${fmt(r.outcome.latencyMaxMs)} | ${fmt(r.drainMs)} | ${r.subscriberCpuPct}% |`,
      ),
      "",
    );
    const loss = 1 - median(rows.map((r) => r.with.requestsPerSecond / r.alone.requestsPerSecond));
    const p99 = Math.max(...rows.map((r) => r.outcome.latencyP99Ms));
    const misses = rows.reduce((n, r) => n + r.outcome.misses, 0);
    out.push(
      `- M1 with ${rows[0].subscribers} subscribers: ${Math.round(loss * 100)}% slower than alone, median of the rounds' ratios (target ≤ 10%): ${mark(loss <= 0.1)}`,
      `- Delivery p99 at ${rows[0].subscribers} subscribers: ${fmt(p99)} ms, worst round (target < 1,000 ms): ${mark(p99 < 1000)}`,
      `- Every write's event at every subscriber: ${misses} missed (target 0): ${mark(misses === 0)}`,
    );
  }
  if (events.webhooks?.length) {
    const rows = events.webhooks;
    out.push(
      "",
      `**W: M1 ×${c} with 0, then ${rows[0].endpoints} webhook endpoints** on the write org (https receiver on 127.0.0.1 answering 200), interleaved per round; the endpoints and their deliveries are deleted after each run.`,
      "",
      "| round | M1, 0 endpoints req/s | M1, endpoints req/s | change | main thread ms/write 0 / with | server CPU ms/write 0 / with | M1 p99 ms 0 / with | deliveries received during the run |",
      "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...rows.map(
        (r) =>
          `| ${r.round} | ${fmt(r.none.requestsPerSecond)} | ${fmt(r.with.requestsPerSecond)} | ${pct(r.with.requestsPerSecond / r.none.requestsPerSecond - 1)} | ${fmt(r.none.serverMainThreadCpuMsPerRequest ?? null, 2)} / ${fmt(r.with.serverMainThreadCpuMsPerRequest ?? null, 2)} | ${fmt(r.none.serverCpuMsPerRequest, 2)} / ${fmt(r.with.serverCpuMsPerRequest, 2)} | ${fmt(r.none.latencyP99Ms)} / ${fmt(r.with.latencyP99Ms)} | ${fmt(r.receivedDuringRun)} of ${fmt(r.eventsDuringRun * r.endpoints)} |`,
      ),
      "",
    );
    const loss = 1 - median(rows.map((r) => r.with.requestsPerSecond / r.none.requestsPerSecond));
    out.push(`- M1 with ${rows[0].endpoints} endpoints: ${Math.round(loss * 100)}% slower than with none, median of the rounds' ratios (target ≤ 10%): ${mark(loss <= 0.1)}`);
  }
  const b = events.burst;
  if (b) {
    out.push(
      `- Webhook delivery, burst of ${fmt(b.writes)} writes (${fmt(b.burstMs)} ms) to ${b.endpoints} endpoints: ${fmt(b.received)} of ${fmt(b.expected)} deliveries (${fmt(b.misses)} missed, ${fmt(b.duplicates)} duplicates); ` +
        `${fmt(b.receivedByCommit)} in by the last commit, the rest in ${fmt(b.drainMs)} ms after it: **${fmt(b.deliveriesPerSecondAfterCommit)} deliveries/s after commit** (${fmt(b.deliveriesPerSecondOverall)}/s from the first write to the last delivery)`,
    );
  }
  return out;
}

export function renderRun(run: RunResult): string {
  const m = run.machine;
  const env = Object.entries(run.server.env).map(([k, v]) => `${k}=${v}`).join(" ");
  return [
    `${run.label ? `**${run.label}** — ` : ""}${run.date.slice(0, 16).replace("T", " ")} UTC, ${run.durationSeconds} s per run. ` +
      `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres}, ${m.platform}. ` +
      `Load average before/after: ${run.load.before.one}/${run.load.after.one} (1 min), ${run.load.before.five}/${run.load.after.five} (5 min).`,
    "",
    `Server${run.server.root === "." ? "" : ` (build in ${run.server.root})`}: \`${env}\`; peak RSS (VmHWM summed over the process tree) ${run.server.peakHwmMb} MB.`,
    "",
    ...((run.rounds ?? 1) > 1 ? [`${run.rounds} rounds, interleaved: each row is the round with the median requests/s (every round's range in brackets).`, ""] : []),
    ...(run.results.length ? [resultsTable(run), "", ...targets(run).map((t) => `- ${t}`)] : []),
    ...(run.events ? eventsSection(run.events) : []),
  ].join("\n");
}

const LATEST_START = "<!-- bench:latest:start -->";
const LATEST_END = "<!-- bench:latest:end -->";
const LOG_MARK = "<!-- bench:log: `npm run bench -- --label …` appends each labelled run below, oldest first -->";

function skeleton(run: RunResult): string {
  const queries = Object.entries(run.queries)
    .map(([name, q]) => `- **${name}** ${q.title}:\n  \`${q.query}\``)
    .join("\n");
  return [
    "# Benchmark results",
    "",
    "`npm run bench` (see `bench/run.ts`) against a local PostgreSQL: two orgs of " +
      `${run.dataset.leadsPerOrg.toLocaleString("en-US")} leads, each with ${run.dataset.perLead} follow-up details, ` +
      `${run.dataset.perLead} status logs and ${run.dataset.perLead} followups. Reads use one org, writes the other. ` +
      "autocannon drives the server (production mode, a child process) at each connection count; SQL/req is the mean " +
      "of the `X-SQL-Statements` header over every response; peak RSS is the server's process tree, polled every 200 ms.",
    "",
    "## Cases",
    "",
    queries,
    "",
    "## Latest run",
    "",
    LATEST_START,
    LATEST_END,
    "",
    "## Run log",
    "",
    LOG_MARK,
    "",
  ].join("\n");
}

/** Replaces the latest-run section of RESULTS.md and, for a labelled run, appends it to the run log. */
export function updateResultsMd(current: string, run: RunResult): string {
  let md = current.includes(LATEST_START) ? current : skeleton(run) + (current ? `\n${current}` : "");
  const start = md.indexOf(LATEST_START) + LATEST_START.length;
  const end = md.indexOf(LATEST_END);
  md = `${md.slice(0, start)}\n${renderRun(run)}\n${md.slice(end)}`;
  if (run.label) {
    const entry = `\n### ${run.label}\n\n${renderRun(run)}\n`;
    // The run log is the last section: entries stay in the order they were run.
    md = `${md.trimEnd()}\n${entry}`;
  }
  return md;
}
