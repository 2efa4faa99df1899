import { createHash } from "node:crypto";
import accepts from "accepts";
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import { ruruHTML, type RuruServerConfig } from "ruru/server";
import { getStaticFile } from "ruru/static";

/** Where this server serves the `ruru` package's files (GraphiQL, Monaco, workers, fonts). */
export const PLAYGROUND_ASSETS_PATH = "/playground-assets/";

export interface PlaygroundOptions {
  /** The GraphQL endpoint's path on this server. */
  endpoint: string;
  /** Prefilled in the headers editor as `Authorization: Bearer <token>` (the development token). */
  token?: string;
}

/** The query the playground opens with; its comments are the first help a newcomer reads. */
export function defaultQuery(hasToken: boolean): string {
  const auth = hasToken
    ? `# The Headers tab below sends the development token
# (org "demo", actor "dev", every scope). Other tokens:
#   npm run token -- --org demo --sub me \\
#     --scopes "leads:read followups:read"`
    : `# Put your token in the Headers tab below:
#   { "Authorization": "Bearer <token>" }`;
  return `# Leads gateway: GraphQL playground
#
${auth}
#
# Ctrl-Enter (or the ▶ button) runs the query. The docs
# explorer (book icon, top left) describes every type,
# field and argument; Ctrl-Alt-K searches the schema.
# Subscriptions run over WebSocket on this endpoint, with
# the Headers tab as their connection_init payload:
#   subscription { events { type leadId changedFields } }
# More operations: docs/examples/*.graphql
query RecentLeads {
  viewer { actor org scopes }
  # newest first; see LeadFilter and LeadOrder
  leads(first: 5) {
    totalCount
    edges {
      cursor
      node {
        id
        leadFor
        type
        status
        subStatus
        owner
        nextFollowUp
        followUpState
        statusLogDetails { status previousStatus reason }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;
}

/** The default query as a developer sees it (with the development token). */
export const DEFAULT_QUERY = defaultQuery(true);

/**
 * The page's own HTML parts: every script, style, font and worker comes from
 * PLAYGROUND_ASSETS_PATH, never from ruru's unpkg default or any other CDN, so the playground
 * works offline.
 */
function htmlParts(assets: string): RuruServerConfig["htmlParts"] {
  return {
    titleTag: "<title>Leads gateway · GraphQL playground</title>",
    metaTags: [
      '<meta charset="utf-8" />',
      '<meta name="viewport" content="width=device-width, initial-scale=1" />',
      '<meta name="referrer" content="no-referrer" />',
      // No favicon request (and no 404 in the console).
      '<link rel="icon" href="data:," />',
      `<link rel="modulepreload" href="${assets}ruru.js" />`,
    ].join("\n"),
    styleTags: [
      `<link rel="stylesheet" href="${assets}ruru.css" />`,
      "<style>body { margin: 0; } #ruru-root { height: 100vh; }</style>",
    ].join("\n"),
    // Monaco's editor, GraphQL and JSON workers, loaded from this server.
    headerScripts: `<script type="module">
const worker = (file) => new Worker(new URL(${JSON.stringify(assets)} + file, import.meta.url), { type: "module" });
globalThis.MonacoEnvironment = {
  getWorker(_, label) {
    return worker(label === "json" ? "jsonWorker.js" : label === "graphql" ? "graphqlWorker.js" : "editorWorker.js");
  },
};
</script>`,
    bodyInitScript: `<script type="module">
import { React, createRoot, Ruru } from ${JSON.stringify(`${assets}ruru.js`)};
createRoot(document.getElementById("ruru-root")).render(React.createElement(Ruru, RURU_CONFIG));
</script>`,
  };
}

/** Fails fast if the page would reference anything not on this server (e.g. after a ruru upgrade). */
export function offOriginReferences(html: string): string[] {
  const refs = [...html.matchAll(/(?:src|href)\s*=\s*["']([^"']*)["']|\bfrom\s+["']([^"']*)["']|\bimport\s*\(\s*["']([^"']*)["']|url\(\s*["']?([^"')]*)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3] ?? m[4],
  );
  return refs.filter((ref) => /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(ref) && !ref.startsWith("data:"));
}

/**
 * Only this server may supply the page's code, styles, fonts, workers and data: an off-origin
 * reference is refused by the browser even if one slipped into a future ruru. Inline scripts are
 * allowed by hash; Monaco and emotion inject styles at runtime, hence `'unsafe-inline'` for styles.
 * `connect-src` names the page's own host over ws: and wss: too (subscriptions): CSP 3's `'self'`
 * covers them, older browsers' does not. `host` is the request's Host header, used only when it is
 * a plain host[:port], so nothing else can reach the header. The scripts are hashed once; the
 * policy is then made per request's host.
 */
function contentSecurityPolicy(html: string): (host?: string) => string {
  const hashes = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1].trim() !== "")
    .map((m) => `'sha256-${createHash("sha256").update(m[1]).digest("base64")}'`);
  return (host) => [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "worker-src 'self'",
    host && /^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/i.test(host) ? `connect-src 'self' ws://${host} wss://${host}` : "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** What GraphQL clients ask for on the endpoint; a browser's navigation prefers the last. */
const ENDPOINT_TYPES = ["application/json", "application/graphql-response+json", "text/html"];

/**
 * GraphiQL (via the `ruru` package) for browsers: `GET <endpoint>` with `Accept: text/html` gets
 * the page (`page`, registered with the endpoint's route), and the page loads its files from
 * PLAYGROUND_ASSETS_PATH (`assets`).
 */
export function playground(options: PlaygroundOptions): { page: FastifyPluginCallback; assets: FastifyPluginCallback } {
  const assetsPath = PLAYGROUND_ASSETS_PATH;
  const headers = options.token
    ? { Authorization: `Bearer ${options.token}` }
    : { Authorization: "Bearer <your token>" };
  const query = defaultQuery(!!options.token);
  // ruru's type marks every client option required (graphiql's own types are not installed).
  const clientConfig: Partial<NonNullable<RuruServerConfig["clientConfig"]>> = {
    initialQuery: query,
    defaultQuery: query,
    initialHeaders: JSON.stringify(headers, null, 2),
    defaultHeaders: JSON.stringify(headers, null, 2),
    isHeadersEditorEnabled: true,
    // Explain and plan diagrams are Grafast tools; this server is not Grafast.
    debugTools: [],
  };
  // The subscription endpoint is the same path: ruru turns it into ws(s)://<page's host>/graphql and
  // sends the Headers tab as graphql-ws connectionParams (`Authorization` is read from them).
  const html = ruruHTML({ endpoint: options.endpoint, subscriptionEndpoint: options.endpoint, staticPath: assetsPath, clientConfig: clientConfig as RuruServerConfig["clientConfig"], htmlParts: htmlParts(assetsPath) });
  const offOrigin = offOriginReferences(html);
  if (offOrigin.length) throw new Error(`the playground page references other origins: ${offOrigin.join(", ")}`);
  const csp = contentSecurityPolicy(html);

  const page: FastifyPluginCallback = fp(
    (app, _options, done) => {
      app.addHook("onRequest", (request, reply, next) => {
        if (request.method !== "GET" || request.routeOptions.url !== options.endpoint || accepts(request.raw).type(ENDPOINT_TYPES) !== "text/html") return next();
        reply
          .headers({
            "content-security-policy": csp(request.headers.host),
            // The page embeds the development token.
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
            "referrer-policy": "no-referrer",
          })
          .type("text/html; charset=utf-8")
          .send(html);
      });
      done();
    },
    { name: "playground-page" },
  );

  const assets: FastifyPluginCallback = (app, _options, done) => {
    app.get(`${assetsPath}*`, async (request, reply) => {
      const file = await getStaticFile({ staticPath: assetsPath, urlPath: request.url, acceptEncoding: request.headers["accept-encoding"], disallowDevAssets: true });
      if (!file) return reply.callNotFound();
      // Revalidated by ETag on every load: the file names are not content-hashed.
      reply.headers({ etag: file.headers.etag, "cache-control": "no-cache", vary: "Accept-Encoding" });
      if (request.headers["if-none-match"] === file.headers.etag) return reply.code(304).send();
      return reply.headers({ ...file.headers, "content-security-policy": csp(), "x-content-type-options": "nosniff" }).send(file.content);
    });
    done();
  };

  return { page, assets };
}
