import { randomBytes } from "node:crypto";
import { startApp, type App } from "../../src/app";
import { loadConfig, type AppConfig } from "../../src/config";
import { signToken } from "../../src/auth/jwt";
import { SCOPES } from "../../src/auth/scopes";

export const TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789";

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; fields?: Record<string, string[]> } & Record<string, unknown> }> };
}

export interface TestApp {
  app: App;
  url: string;
  /** Base URL without /graphql, for /healthz etc. */
  origin: string;
  /** A token for `org` (default: a fresh org of its own) with the given scopes (default: all). */
  token(options?: { org?: string; sub?: string; scopes?: readonly string[]; expiresIn?: number }): string;
  /** POSTs a GraphQL request; `token: null` sends no Authorization header. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { token?: string | null; headers?: Record<string, string> }): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

/** A unique org name, so that test files sharing one PostgreSQL database never see each other's rows. */
export const newOrg = (label = "org") => `${label}-${randomBytes(5).toString("hex")}`;

/**
 * Starts the real app on an ephemeral port: embedded in-memory PGlite by default, or the
 * suite's PostgreSQL database when DATABASE_URL is set (see global-setup.ts).
 */
export async function startTestApp(overrides: Partial<AppConfig> = {}): Promise<TestApp> {
  const usePg = !!process.env.DATABASE_URL;
  const config: AppConfig = {
    ...loadConfig({ NODE_ENV: "test", JWT_SECRET: TEST_JWT_SECRET }),
    port: 0,
    databaseUrl: process.env.DATABASE_URL,
    dataDir: "memory",
    migrationsRun: !usePg,
    demoData: false,
    dbPoolSize: 5,
    // Every operation compiled on its first run, so that the suite covers the compiled path;
    // test/execution.test.ts compares it with graphql-js's.
    jitCompileAfter: 0,
    // Off unless a test is about them: the runner would fire the past nextFollowUp many tests create.
    timerPollSeconds: 0,
    ...overrides,
  };
  const app = await startApp(config);
  const defaultOrg = newOrg();
  const token: TestApp["token"] = (o = {}) =>
    signToken({ sub: o.sub ?? "tester", org: o.org ?? defaultOrg, scopes: o.scopes ?? SCOPES }, config.jwtSecret, o.expiresIn);
  const defaultToken = token();
  return {
    app,
    url: app.url,
    origin: app.url.replace(/\/graphql$/, ""),
    token,
    async gql(query, variables, options = {}) {
      const auth = options.token === undefined ? defaultToken : options.token;
      const res = await fetch(app.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(auth ? { authorization: `Bearer ${auth}` } : {}),
          ...options.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      let body: GqlResponse["body"];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
      }
      return { status: res.status, headers: res.headers, body };
    },
    close: () => app.close(),
  };
}

/** The codes of a response's errors, in order. */
export const codes = (res: GqlResponse) => (res.body.errors ?? []).map((e) => e.extensions?.code);
