import cors from "cors";
import type { RequestHandler } from "express";

/** Response headers a browser client may read (rate limits, request ids, idempotent replays). */
const EXPOSED_HEADERS = ["X-Request-Id", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Idempotent-Replayed"];

/**
 * CORS for `/graphql`. `"*"` (development) allows every origin; otherwise only the listed origins
 * (CORS_ORIGINS) get CORS headers, and any other origin gets none, not even on a preflight.
 * CSRF is Apollo's concern: a request a browser may send cross-site without a preflight is refused there.
 */
export function corsFor(origins: "*" | readonly string[]): RequestHandler {
  const allowed = origins === "*" ? undefined : new Set(origins);
  const handler = cors((req, callback) => {
    const origin = req.headers.origin;
    const ok = !allowed || (origin !== undefined && allowed.has(origin));
    callback(null, ok ? { origin: allowed ? origin : "*", exposedHeaders: EXPOSED_HEADERS, maxAge: 600 } : { origin: false });
  });
  return (req, res, next) => {
    if (allowed) res.vary("Origin"); // the answer depends on the origin, allowed or not
    handler(req, res, next);
  };
}
