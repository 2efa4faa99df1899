import { createHash } from "node:crypto";
import { request } from "node:http";
import { DEV_JWT_SECRET } from "../src/config";
import { DEFAULT_QUERY } from "../src/http/playground";
import { ensureDemoData } from "./support/demo";
import { startTestApp, type TestApp } from "./support/app";
import { subscribeEvents } from "./support/subscriptions";

/**
 * The playground page over HTTP: what a browser is sent (test/playground.browser.test.ts drives
 * a real one). Being off in production is tested in production.test.ts.
 */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

let dev: TestApp;
let plain: TestApp;
beforeAll(async () => {
  dev = await startTestApp({ jwtSecret: DEV_JWT_SECRET, devSecret: true, playground: true });
  plain = await startTestApp({ playground: true });
});
afterAll(async () => {
  await dev?.close();
  await plain?.close();
});

const page = (t: TestApp) => fetch(t.url, { headers: { accept: BROWSER_ACCEPT } });

/** RURU_CONFIG, the client configuration the page embeds. */
function clientConfig(html: string): Record<string, string> {
  const m = /const RURU_CONFIG = (\{[\s\S]*?\});\s*<\/script>/.exec(html);
  if (!m) throw new Error("no RURU_CONFIG in the page");
  return JSON.parse(m[1]);
}

describe("the playground page", () => {
  it("prefills the development token, the default query and this server's endpoint", async () => {
    const res = await page(dev);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store"); // it carries a token
    const html = await res.text();
    expect(html).toMatch(/<title>[^<]*GraphQL playground<\/title>/);
    const config = clientConfig(html);
    expect(JSON.parse(config.initialHeaders)).toEqual({ Authorization: `Bearer ${dev.app.devToken}` });
    expect(config.initialQuery).toBe(DEFAULT_QUERY);
    expect(config.endpoint).toBe("/graphql");
    // ruru makes it ws(s)://<the page's host>/graphql
    expect(config.subscriptionEndpoint).toBe("/graphql");
    expect(config.staticPath).toBe("/playground-assets/");
  });

  it("prefills no token without the development secret, and says where one goes", async () => {
    const html = await (await page(plain)).text();
    expect(html).not.toMatch(/Bearer ey/);
    const config = clientConfig(html);
    expect(JSON.parse(config.initialHeaders)).toEqual({ Authorization: "Bearer <your token>" });
    expect(config.initialQuery).toMatch(/Put your token in the Headers tab/);
  });

  it("references nothing outside this server, and its policy lets the browser load nothing else", async () => {
    const res = await page(dev);
    const html = await res.text();
    const refs = [...html.matchAll(/(?:src|href)\s*=\s*["']([^"']+)["']|\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(refs).toEqual(expect.arrayContaining(["/playground-assets/ruru.js", "/playground-assets/ruru.css"]));
    expect(refs.filter((ref) => !ref.startsWith("/") && !ref.startsWith("data:"))).toEqual([]);
    expect(html).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|https?:\/\//);

    const csp = Object.fromEntries(
      res.headers
        .get("content-security-policy")!
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    const host = new URL(dev.url).host;
    // subscriptions: the page's own host over WebSocket, and nothing else
    expect(csp["connect-src"]).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
    for (const directive of ["default-src", "connect-src", "style-src", "font-src", "img-src", "worker-src"]) {
      const own = ["'self'", "'unsafe-inline'", "data:", `ws://${host}`, `wss://${host}`];
      expect({ directive, sources: csp[directive].filter((s: string) => !own.includes(s)) }).toEqual({ directive, sources: [] });
    }
    // inline scripts run only by their hashes: each of the page's is listed, and nothing else is allowed
    const hashes = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
      .filter((m) => m[1].trim())
      .map((m) => `'sha256-${createHash("sha256").update(m[1]).digest("base64")}'`);
    expect(hashes.length).toBeGreaterThanOrEqual(3);
    expect(csp["script-src"].sort()).toEqual(["'self'", ...hashes].sort());
  });

  it("puts no odd Host header into its policy", async () => {
    // undici's fetch sets Host itself; a raw request sends the header as written
    const { port } = new URL(dev.url);
    const cspFor = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/graphql", agent: false, headers: { host, accept: BROWSER_ACCEPT, connection: "close" } }, (res) => {
          res.resume();
          resolve(String(res.headers["content-security-policy"]));
        });
        req.on("error", reject).end();
      });
    const connectSrc = (csp: string) => csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("connect-src"));
    expect(connectSrc(await cspFor("example.test:8080"))).toBe("connect-src 'self' ws://example.test:8080 wss://example.test:8080");
    expect(connectSrc(await cspFor("evil; script-src *"))).toBe("connect-src 'self'");
    expect(connectSrc(await cspFor("evil.test *"))).toBe("connect-src 'self'");
  });

  it("sends subscriptions the headers as ruru does (its Headers tab as connectionParams), and they get events", async () => {
    await ensureDemoData(dev.app.db.dataSource);
    const html = await (await page(dev)).text();
    // ruru (static/ruru.js): createClient({ url: subscriptionUrl, connectionParams: { ...wsConnectionParams, ...headers } })
    const connectionParams = JSON.parse(clientConfig(html).initialHeaders) as Record<string, unknown>;
    expect(Object.keys(connectionParams)).toEqual(["Authorization"]);
    const sub = subscribeEvents(dev.url, connectionParams, { types: ["LEAD_UPDATED"] });
    try {
      const lead = await dev.gql(`{ leads(first: 1, filter: { status: [OPEN] }) { edges { node { id } } } }`, undefined, { token: dev.app.devToken });
      const id = lead.body.data.leads.edges[0].node.id as string;
      // the subscription may not be live yet: write until an event arrives
      for (let i = 0; sub.events.length === 0 && sub.closeCode === undefined && i < 50; i++) {
        const res = await dev.gql(`mutation ($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { id } } }`, { id, input: { owner: `playground-${i}` } }, { token: dev.app.devToken });
        expect(res.body.errors).toBeUndefined();
        await new Promise((r) => setTimeout(r, 100));
      }
      const [event] = await sub.waitForEvents(1);
      expect(sub.errors).toEqual([]);
      expect(event).toMatchObject({ type: "LEAD_UPDATED", leadId: id, actor: "dev" });
    } finally {
      await sub.dispose();
    }
  });

  it("serves its assets, compressed or not, with validators, and nothing that is not one", async () => {
    const js = `${dev.origin}/playground-assets/ruru.js`;
    const br = await fetch(js, { headers: { "accept-encoding": "br" } });
    expect(br.status).toBe(200);
    expect(br.headers.get("content-type")).toMatch(/^text\/javascript/);
    const text = await br.text(); // fetch decodes br
    expect(text.length).toBeGreaterThan(10_000);

    const identity = await fetch(js, { headers: { "accept-encoding": "identity" } });
    expect(identity.headers.get("content-encoding")).toBeNull();
    expect(await identity.text()).toBe(text);

    const etag = br.headers.get("etag")!;
    expect(etag).toBeTruthy();
    expect((await fetch(js, { headers: { "if-none-match": etag } })).status).toBe(304);

    const css = await fetch(`${dev.origin}/playground-assets/ruru.css`);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    for (const missing of ["nope.js", "ruru.js.map", "../package.json", "%2e%2e/package.json"]) {
      const res = await fetch(`${dev.origin}/playground-assets/${missing}`);
      expect({ missing, status: res.status }).toEqual({ missing, status: 404 });
    }
  });

  it("leaves GraphQL clients alone: a GET asking for JSON runs the query", async () => {
    const res = await fetch(`${dev.url}?query=${encodeURIComponent("{ viewer { org } }")}`, {
      // (a GET needs a preflight-forcing header: Apollo's CSRF prevention)
      headers: { accept: "application/graphql-response+json, application/json", authorization: `Bearer ${dev.app.devToken}`, "apollo-require-preflight": "1" },
    });
    expect(res.headers.get("content-type")).toMatch(/json/);
    expect(await res.json()).toEqual({ data: { viewer: { org: "demo" } } });
  });

  it("opens with a default query that runs against the demo data", async () => {
    await ensureDemoData(dev.app.db.dataSource);
    const res = await dev.gql(DEFAULT_QUERY, undefined, { token: dev.app.devToken });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.viewer).toMatchObject({ actor: "dev", org: "demo" });
    expect(res.body.data.leads.edges.length).toBeGreaterThan(0);
  });
});
