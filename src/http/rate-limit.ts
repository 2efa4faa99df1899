import type { ApolloServerPlugin, HeaderMap } from "@apollo/server";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import type { AppConfig } from "../config";
import type { Context } from "../context";
import { DomainError } from "../common/errors";
import { errorResponseBody } from "../common/format-error";
import { logger } from "../common/logger";
import { connectRedis } from "../common/redis";

type Kind = "read" | "write";

export interface RateLimiter {
  /** Counts each operation against its principal; over the limit, 429 before anything executes. */
  plugin: ApolloServerPlugin<Context>;
  close(): Promise<void>;
}

interface Outcome {
  allowed: boolean;
  kind: Kind;
  limit: number;
  remaining: number;
  msBeforeReset: number;
}

/**
 * Who is counted: an API key by its id, a JWT caller by org and `sub`, and a caller without valid
 * credentials by client address (they fail anyway, but not for free).
 */
export function principalKey(context: Context): string {
  const auth = context.auth;
  if (auth?.apiKeyId) return `key:${auth.apiKeyId}`;
  if (auth) return `jwt:${encodeURIComponent(auth.org)}:${encodeURIComponent(auth.actor)}`;
  return `ip:${context.request.ip}`;
}

/**
 * Per-principal limits for reads (queries) and writes (mutations), each a fixed window of
 * RATE_LIMIT_WINDOW_SECONDS. Only the operation that executes counts (the one `operationName`
 * picks); a request that never gets that far (it does not parse or validate) counts as a read.
 * Counts live in this process, or in Redis with REDIS_URL so that every instance shares them;
 * while Redis is unreachable each instance counts on its own rather than failing requests.
 */
export async function createRateLimiter(
  config: Pick<AppConfig, "rateLimitReads" | "rateLimitWrites" | "rateLimitWindowSeconds" | "rateLimitPrefix" | "redisUrl">,
): Promise<RateLimiter> {
  const limits: Record<Kind, number> = { read: config.rateLimitReads, write: config.rateLimitWrites };
  const duration = config.rateLimitWindowSeconds;
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, "rate limits counted per instance") : undefined;
  const limiterFor = (kind: Kind): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ points: limits[kind], duration, keyPrefix: `${config.rateLimitPrefix}:${kind}` });
    if (!redis) return memory;
    return new RateLimiterRedis({
      storeClient: redis,
      points: limits[kind],
      duration,
      keyPrefix: `${config.rateLimitPrefix}:${kind}`,
      rejectIfRedisNotReady: true,
      insuranceLimiter: memory,
    });
  };
  const limiters: Record<Kind, RateLimiterAbstract> = { read: limiterFor("read"), write: limiterFor("write") };

  async function take(kind: Kind, key: string): Promise<Outcome | undefined> {
    const outcome = (allowed: boolean, res: RateLimiterRes): Outcome => ({
      allowed,
      kind,
      limit: limits[kind],
      remaining: Math.max(0, res.remainingPoints),
      msBeforeReset: Math.max(0, res.msBeforeNext),
    });
    try {
      return outcome(true, await limiters[kind].consume(key, 1));
    } catch (err) {
      if (err instanceof RateLimiterRes) return outcome(false, err);
      // Never seen with the insurance limiter in place; a limiter fault must not take the API down.
      logger.warn({ err }, "rate limiter failed; request let through");
      return undefined;
    }
  }

  const message = (o: Outcome) =>
    `Rate limit exceeded: at most ${o.limit} ${o.kind === "read" ? "queries" : "mutations"} per ${duration} seconds; ` +
    `retry after ${retryAfterSeconds(o)} seconds`;

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      let counted = false;
      return {
        async didResolveOperation({ operation, contextValue, response }) {
          counted = true;
          // Without valid credentials everything fails, so everything counts against the address's reads.
          const kind = contextValue.auth && operation?.operation === "mutation" ? "write" : "read";
          const o = await take(kind, principalKey(contextValue));
          if (!o) return;
          setHeaders(response.http.headers, o);
          if (!o.allowed) {
            response.http.status = 429;
            throw new DomainError("RATE_LIMITED", message(o));
          }
        },
        async willSendResponse({ contextValue, response }) {
          if (counted) return;
          counted = true;
          const o = await take("read", principalKey(contextValue));
          if (!o) return;
          setHeaders(response.http.headers, o);
          if (!o.allowed) {
            response.http.status = 429;
            response.body = { kind: "single", singleResult: errorResponseBody("RATE_LIMITED", message(o)) };
          }
        },
      };
    },
  };

  return {
    plugin,
    async close() {
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

const retryAfterSeconds = (o: Outcome) => Math.max(1, Math.ceil(o.msBeforeReset / 1000));

function setHeaders(headers: HeaderMap, o: Outcome) {
  headers.set("x-ratelimit-limit", String(o.limit));
  headers.set("x-ratelimit-remaining", String(o.remaining));
  // When the window ends, in Unix seconds (as GitHub's X-RateLimit-Reset).
  headers.set("x-ratelimit-reset", String(Math.ceil((Date.now() + o.msBeforeReset) / 1000)));
  headers.set("x-ratelimit-resource", o.kind === "read" ? "reads" : "writes");
  if (!o.allowed) headers.set("retry-after", String(retryAfterSeconds(o)));
}

