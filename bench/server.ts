import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

export interface ServerOptions {
  databaseUrl: string;
  jwtSecret: string;
  /** WEB_CONCURRENCY for the server; undefined leaves the server's default. */
  workers?: number;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags: string[];
  logFile: string;
  extraEnv: Record<string, string>;
}

export interface Server {
  url: string;
  origin: string;
  pid: number;
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The environment the bench runs the server with: production mode, SQL statement counts on, and
 * every guard that would throttle a load generator (rate limits, query limits) set out of its way.
 */
export function serverEnv(options: ServerOptions, port: number): Record<string, string> {
  return {
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: options.jwtSecret,
    SQL_STATS: "true",
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn",
    ...(options.workers !== undefined ? { WEB_CONCURRENCY: String(options.workers) } : {}),
    ...options.extraEnv,
  };
}

/** Starts `node dist/src/main.js` and waits until `/readyz` answers 200. */
export async function startServer(root: string, options: ServerOptions): Promise<Server> {
  const port = await freePort();
  const env = serverEnv(options, port);
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(process.execPath, [...options.nodeFlags, path.join(root, "dist/src/main.js")], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const origin = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}; see ${options.logFile}`);
    try {
      const res = await fetch(`${origin}/readyz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not become ready within 120 s; see ${options.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url: `${origin}/graphql`,
    origin,
    pid: child.pid!,
    env,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone, or no /proc
  }
  return out;
}

/** The server process and its descendants (cluster workers). */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]));
  return all;
}

function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size: shared pages (the node binary, libraries) split between the processes sharing them. */
function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Polls the resident memory of the server's process tree while a case runs. `peakTotalMb` is the
 * largest sum of VmRSS over the tree seen at one instant (it counts pages the processes share once
 * per process); `peakPssMb` the same with PSS, which counts shared pages once in all (equal to the
 * RSS for a single process); `peakProcessMb` the largest single process.
 */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private peakTotalKb = 0;
  private peakProcessKb = 0;
  private peakPssKb = 0;

  constructor(private readonly pid: number) {}

  start(intervalMs = 200): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    let total = 0;
    let pss = 0;
    const tree = processTree(this.pid);
    for (const pid of tree) {
      const rss = statusKb(pid, "VmRSS");
      total += rss;
      this.peakProcessKb = Math.max(this.peakProcessKb, rss);
      if (tree.length > 1) pss += pssKb(pid);
    }
    this.peakTotalKb = Math.max(this.peakTotalKb, total);
    this.peakPssKb = Math.max(this.peakPssKb, tree.length > 1 ? pss : total);
  }

  stop(): { peakTotalMb: number; peakProcessMb: number; peakPssMb: number; processes: number } {
    this.sample();
    clearInterval(this.timer);
    const tree = processTree(this.pid);
    return {
      peakTotalMb: Math.round(this.peakTotalKb / 1024),
      peakProcessMb: Math.round(this.peakProcessKb / 1024),
      peakPssMb: Math.round(this.peakPssKb / 1024),
      processes: tree.length,
    };
  }
}

/** utime + stime of a /proc stat file, in clock ticks (0 when the process or thread is gone). */
function statTicks(file: string): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(file, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU time (user + system) used so far by the server's process tree, in milliseconds. */
export function cpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += statTicks(`/proc/${p}/stat`);
  return ticks * 10; // USER_HZ is 100 on Linux
}

/**
 * CPU time used so far by the main (JavaScript) thread of each process in the tree, in
 * milliseconds: the rest of `cpuMs` is GC helper threads, libuv's pool and the like. One main
 * thread runs every request of a process, so this is the time that caps its requests/s.
 */
export function mainThreadCpuMs(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) ticks += statTicks(`/proc/${p}/task/${p}/stat`);
  return ticks * 10;
}

/** The kernel's high-water mark of each process of the tree, summed (an upper bound: the peaks need not coincide). */
export function hwmTotalMb(pid: number): number {
  return Math.round(processTree(pid).reduce((sum, p) => sum + statusKb(p, "VmHWM"), 0) / 1024);
}
