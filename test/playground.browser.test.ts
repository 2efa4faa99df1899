import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { DEV_JWT_SECRET } from "../src/config";
import { ensureDemoData } from "./support/demo";
import { startTestApp, type TestApp } from "./support/app";

/**
 * The playground in a real browser (Debian's Chromium, driven by playwright-core): it loads from
 * this server alone, runs the default query with the prefilled development token, shows what the
 * API answers, its docs explorer and schema search work, and a subscription typed into it gets
 * events over WebSocket.
 */
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACT = path.join(__dirname, "..", "test-artifacts", "playground.png");
/**
 * What the functions passed to page.evaluate use: they run in the browser, and this project
 * compiles without the DOM library.
 */
interface BrowserElement {
  style: { top: string };
  textContent: string | null;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
}
declare const window: { __violations: string[] };
declare const document: {
  activeElement: unknown;
  addEventListener(type: "securitypolicyviolation", listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
};

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Reads until `ok` holds or the time is up, and returns the last reading for the caller's expect. */
async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Expects the text `read` gives to match `pattern` within the time, and returns it. */
async function expectText(read: () => Promise<string>, pattern: RegExp, timeoutMs?: number): Promise<string> {
  const text = await eventually(read, (t) => pattern.test(t), timeoutMs);
  expect(text).toMatch(pattern);
  return text;
}

if (!existsSync(CHROMIUM)) {
  console.warn(
    `SKIPPED test/playground.browser.test.ts: no Chromium at ${CHROMIUM}. Install it with ` +
      "`apt-get install -y chromium` (.ci/run does so when it can); this is the only reason the test may be skipped.",
  );
  it.skip(`the playground in Chromium (skipped: no ${CHROMIUM} on this machine)`, () => undefined);
} else {
  describe("the playground in Chromium", () => {
    let t: TestApp;
    let userDataDir: string;
    let context: BrowserContext;
    let page: Page;
    const requests: string[] = [];
    const failures: string[] = [];

    beforeAll(async () => {
      // The development secret, so the app mints the development token that the playground shows.
      t = await startTestApp({ jwtSecret: DEV_JWT_SECRET, devSecret: true, playground: true });
      await ensureDemoData(t.app.db.dataSource);
      userDataDir = mkdtempSync(path.join(tmpdir(), "leads-chromium-"));
      context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        viewport: { width: 1400, height: 900 },
      });
      // Every request of the page, its workers and anything else it opens.
      context.on("request", (req) => requests.push(req.url()));
      context.on("requestfailed", (req) => failures.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
      context.on("response", (res) => void (res.status() >= 400 && failures.push(`HTTP ${res.status()}: ${res.url()}`)));
      // A Content-Security-Policy refusal never reaches the network: catch it in the page.
      await context.addInitScript(() => {
        window.__violations = [];
        document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on("pageerror", (err) => failures.push(`page error: ${err.message}`));
      await page.goto(t.url, { waitUntil: "load" });
    }, 120_000);

    afterAll(async () => {
      await context?.close();
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      await t?.close();
    });

    /** The text an editor shows, line by line in screen order (Monaco positions its lines absolutely). */
    const editorText = (selector: string) =>
      page.locator(selector).evaluate((el) =>
        [...(el as unknown as BrowserElement).querySelectorAll(".view-line")]
          .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
          .map((line) => line.textContent ?? "")
          .join("\n")
          .replace(/\u00a0/g, " "),
      );

    it("opens with the default query and the development token in the headers", async () => {
      await page.getByRole("button", { name: /Execute query/ }).waitFor({ timeout: 30_000 });
      await expectText(() => editorText(".graphiql-query-editor"), /leads\(first: 5\)/, 30_000);
      const query = await editorText(".graphiql-query-editor");
      expect(query).toContain("development token");
      expect(query).toContain("docs");
      const headers = await editorText(".graphiql-editor-tool .graphiql-editor:not(.hidden)");
      expect(headers).toContain(`"Authorization": "Bearer ${t.app.devToken!.slice(0, 60)}`);
    }, 60_000);

    it("runs the query for leads and shows a lead's leadFor as the API answers it", async () => {
      await page.getByRole("button", { name: /Execute query/ }).click();
      await expectText(() => editorText(".graphiql-response"), /"leadFor": "/, 30_000);
      const result = await editorText(".graphiql-response");
      // the prefilled token was sent: the server saw the development actor
      expect(result).toMatch(/"actor": "dev",\s*"org": "demo"/);
      const shown = /"id": "(lead_[a-z0-9]+)",\s*"leadFor": "((?:[^"\\]|\\.)*)"/.exec(result);
      expect(shown).not.toBeNull();
      const [, id, leadFor] = shown!;

      const api = await t.gql(`query ($id: ID!) { lead(id: $id) { leadFor } }`, { id }, { token: t.app.devToken });
      expect(api.body.errors).toBeUndefined();
      expect(api.body.data.lead).not.toBeNull();
      expect(JSON.parse(`"${leadFor}"`)).toBe(api.body.data.lead.leadFor);
      expect(JSON.parse(`"${leadFor}"`).length).toBeGreaterThan(0);
    }, 60_000);

    it("opens the docs explorer, which lists Lead, and finds its fields by search", async () => {
      await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
      const docs = page.locator(".graphiql-doc-explorer");
      await docs.getByText("All Schema Types").waitFor({ timeout: 30_000 });
      const lead = docs.locator("a", { hasText: /^Lead$/ });
      expect(await eventually(() => lead.count(), (v) => v > 0)).toBeGreaterThan(0);

      // the shortcut the default query names, then the Lead type from the search results
      await page.keyboard.press("Control+Alt+KeyK");
      const search = page.locator(".graphiql-doc-explorer-search input");
      expect(await eventually(() => search.evaluate((el) => el === document.activeElement), (v) => v === true)).toBe(true);
      await search.fill("Lead");
      const results = page.locator(".graphiql-doc-explorer-search");
      await expectText(() => results.innerText(), /Lead\.leadFor/, 10_000);
      await results.getByText("Lead", { exact: true }).first().click();
      // the Lead type's page: its fields with their descriptions
      await expectText(() => docs.innerText(), /The item, SKU, brand or category the lead is for/, 10_000);
      expect(await docs.innerText()).toMatch(/implements\s+Node|Node/);
    }, 60_000);

    it("prettifies with its own bundled prettier", async () => {
      const before = requests.length;
      await page.getByRole("button", { name: /Prettify/ }).click();
      await expectText(() => editorText(".graphiql-query-editor"), /viewer \{\n\s+actor/, 20_000);
      expect(requests.length).toBeGreaterThan(before); // prettier came from somewhere: checked below
    }, 60_000);

    it("runs a subscription over WebSocket with the prefilled token, and shows an event after a write", async () => {
      const editor = page.locator(".graphiql-query-editor");
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText("subscription Live { events(types: [LEAD_UPDATED]) { type leadId changedFields } }");
      await expectText(() => editorText(".graphiql-query-editor"), /subscription Live/, 10_000);
      await page.getByRole("button", { name: /Execute query/ }).click();

      const lead = await t.gql(`{ leads(first: 1, filter: { status: [OPEN] }) { edges { node { id } } } }`, undefined, { token: t.app.devToken });
      const id = lead.body.data.leads.edges[0].node.id as string;
      // the subscription may not be live yet: write until the result pane shows the event
      const shown = await eventually(
        async () => {
          const res = await t.gql(`mutation ($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) { lead { id } } }`, { id, input: { owner: `browser-${Date.now()}` } }, { token: t.app.devToken });
          expect(res.body.errors).toBeUndefined();
          return editorText(".graphiql-response");
        },
        (text) => /LEAD_UPDATED/.test(text),
        30_000,
      );
      expect(shown).toMatch(/"type": "LEAD_UPDATED"/);
      expect(shown).toContain(`"leadId": "${id}"`);
      expect(shown).toMatch(/"owner"/);
    }, 60_000);

    it("requested nothing outside the server's origin, and nothing failed", async () => {
      mkdirSync(path.dirname(ARTIFACT), { recursive: true });
      await page.screenshot({ path: ARTIFACT });

      const origin = new URL(t.url).origin;
      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((url) => new URL(url).origin !== origin)).toEqual([]);
      expect(requests).toContain(`${origin}/playground-assets/ruru.js`);
      expect(failures).toEqual([]);
      expect(await page.evaluate(() => window.__violations)).toEqual([]);
    }, 60_000);
  });
}
