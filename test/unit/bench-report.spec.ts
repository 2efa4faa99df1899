import { medianRounds, resultsTable, targets, type CaseResult, type RunResult } from "../../bench/report";

/** A result row with only what these rules read set to something meaningful. */
const row = (name: string, connections: number, round: number, requestsPerSecond: number, extra: Partial<CaseResult> = {}): CaseResult => ({
  case: name,
  connections,
  round,
  requestsPerSecond,
  requests: requestsPerSecond * 10,
  latencyP50Ms: round,
  latencyP99Ms: 0,
  latencyAvgMs: 0,
  sqlStatementsPerRequest: 1,
  sqlStatementsMax: 1,
  responseBytes: 0,
  graphqlErrors: 0,
  non2xx: 0,
  socketErrors: 0,
  timeouts: 0,
  serverCpuMsPerRequest: 0,
  peakRssMb: 200,
  peakProcessRssMb: 200,
  peakPssMb: 200,
  serverProcesses: 1,
  loadAverage1m: 0,
  ...extra,
});

const run = (results: CaseResult[], allRounds?: CaseResult[]): RunResult => ({
  date: "2026-11-21T00:00:00.000Z",
  durationSeconds: 10,
  machine: { cpus: 2, cpuModel: "test", memoryGb: 1, node: "v20", postgres: "15", platform: "Linux" },
  load: { before: { one: 0, five: 0, fifteen: 0 }, after: { one: 0, five: 0, fifteen: 0 } },
  dataset: { orgs: 2, leadsPerOrg: 10, perLead: 5 },
  server: { root: ".", env: {}, peakHwmMb: 0 },
  queries: {},
  rounds: allRounds ? 3 : 1,
  results,
  ...(allRounds ? { allRounds } : {}),
});

describe("medianRounds", () => {
  it("keeps a single round's rows as they are", () => {
    const rows = [row("Q1", 32, 1, 500), row("Q2", 32, 1, 200)];
    expect(medianRounds(rows)).toEqual(rows);
  });

  it("answers each case and connection count with its median round, whole, and every round's requests/s in round order", () => {
    const rows = [row("Q1", 32, 1, 500), row("Q1", 8, 1, 400), row("Q1", 32, 2, 450), row("Q1", 8, 2, 410), row("Q1", 32, 3, 600), row("Q1", 8, 3, 390)];
    const [at32, at8] = medianRounds(rows);
    expect(at32).toMatchObject({ case: "Q1", connections: 32, round: 1, requestsPerSecond: 500, latencyP50Ms: 1, roundsRequestsPerSecond: [500, 450, 600] });
    expect(at8).toMatchObject({ case: "Q1", connections: 8, round: 1, requestsPerSecond: 400, roundsRequestsPerSecond: [400, 410, 390] });
  });

  it("takes the lower middle round of an even count, a round that was measured", () => {
    const [only] = medianRounds([row("Q2", 32, 1, 100), row("Q2", 32, 2, 300), row("Q2", 32, 3, 200), row("Q2", 32, 4, 400)]);
    expect(only.requestsPerSecond).toBe(200);
    expect(only.round).toBe(3);
  });
});

describe("targets: no throughput ratio of this bench's own cases", () => {
  it("leaves Q2 against Q1 to the side-by-side comparison (peer-bench)", () => {
    const lines = targets(run([row("Q1", 32, 1, 400), row("Q2", 32, 1, 100)]));
    expect(lines.some((l) => /of Q1's requests\/s/.test(l) && l.startsWith("Q2"))).toBe(false);
  });
});

describe("targets: statements and memory", () => {
  it("with rounds, judge the worst round, not only the median one", () => {
    const all = [
      row("Q1", 32, 1, 500),
      row("Q2", 32, 1, 200, { sqlStatementsMax: 4, peakRssMb: 250 }),
      row("Q1", 32, 2, 500),
      row("Q2", 32, 2, 180, { sqlStatementsMax: 6, peakRssMb: 320 }),
      row("Q1", 32, 3, 500),
      row("Q2", 32, 3, 220, { sqlStatementsMax: 4, peakRssMb: 260 }),
    ];
    const lines = targets(run(medianRounds(all), all));
    expect(lines).toContain("Q2 SQL statements per request: at most 6 (target ≤ 5): NOT met");
    expect(lines).toContain("Server peak RSS at 32 connections: 320 MB summed over 1 process(es) (target < 300 MB): NOT met");
  });
});

describe("resultsTable", () => {
  it("shows the main thread's CPU per request, and each row's range of rounds beside its requests/s", () => {
    const all = [row("Q2", 32, 1, 170, { serverMainThreadCpuMsPerRequest: 5.28 }), row("Q2", 32, 2, 180), row("Q2", 32, 3, 174)];
    const table = resultsTable(run(medianRounds(all), all));
    expect(table.split("\n")[0]).toContain("| main thread ms/req |");
    expect(table.split("\n")[2]).toMatch(/^\| Q2 \| 32 \| 174 \(170–180\) \|/);
    expect(resultsTable(run([row("Q2", 32, 1, 170, { serverMainThreadCpuMsPerRequest: 5.28 })])).split("\n")[2]).toMatch(/^\| Q2 \| 32 \| 170 \| .* \| 5\.28 \| 1\.0 \|/);
  });
});
