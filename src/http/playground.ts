import type { RequestHandler, Router } from "express";
import { ruruHTML, type RuruServerConfig } from "ruru/server";
import { serveStatic } from "ruru/static";

const STATIC_PATH = "/playground-assets/";

export const DEFAULT_QUERY = `# Welcome to the leads gateway. The development token is already in the headers (below).
query Leads {
  viewer { actor org scopes }
  leads(first: 5) {
    totalCount
    edges {
      node {
        id
        leadFor
        status
        owner
        nextFollowUp
        statusLogDetails { status previousStatus reason createdOn }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

/**
 * GraphiQL (Ruru) for browsers: `GET /graphql` with `Accept: text/html`. Every asset comes from
 * this server (the `ruru` package's files), so it works offline.
 */
export function mountPlayground(router: Router, options: { endpoint: string; token?: string }): RequestHandler {
  router.use(STATIC_PATH, serveStatic(STATIC_PATH));
  const html = ruruHTML({
    endpoint: options.endpoint,
    staticPath: STATIC_PATH,
    clientConfig: {
      defaultQuery: DEFAULT_QUERY,
      initialQuery: DEFAULT_QUERY,
      ...(options.token ? { initialHeaders: JSON.stringify({ Authorization: `Bearer ${options.token}` }, null, 2) } : {}),
    } as RuruServerConfig["clientConfig"], // ruru's type marks every client option required
  });
  return (req, res, next) => {
    if (req.method === "GET" && req.accepts(["application/json", "application/graphql-response+json", "text/html"]) === "text/html") {
      res.type("html").send(html);
      return;
    }
    next();
  };
}
