import fastifyCors, { type FastifyCorsOptions } from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** Response headers a browser client may read (rate limits, request ids, idempotent replays). */
const EXPOSED_HEADERS = ["X-Request-Id", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Idempotent-Replayed"];

const ALLOWED: FastifyCorsOptions = {
  methods: "GET,HEAD,PUT,PATCH,POST,DELETE",
  exposedHeaders: EXPOSED_HEADERS.join(","),
  maxAge: 600,
  // Every OPTIONS of an allowed origin is answered here, preflight or not.
  strictPreflight: false,
};

/**
 * CORS for `/graphql` (@fastify/cors). `"*"` (development) allows every origin; otherwise only the
 * listed origins (CORS_ORIGINS) get CORS headers, and any other origin gets none, not even on a
 * preflight (whose OPTIONS then reaches Apollo and is refused there).
 * CSRF is Apollo's concern: a request a browser may send cross-site without a preflight is refused there.
 */
export const cors = fp(
  async (app: FastifyInstance, { origins }: { origins: "*" | readonly string[] }) => {
    if (origins === "*") {
      await app.register(fastifyCors, { ...ALLOWED, origin: "*" });
      return;
    }
    const allowed = new Set(origins);
    // Decided per request (so the answer also gets `Vary: Origin`); `false`: no CORS header at all.
    await app.register(fastifyCors, { ...ALLOWED, origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin) ? origin : false) });
  },
  { name: "cors" },
);
