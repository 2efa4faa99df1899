import { Redis } from "ioredis";
import { logger } from "./logger";

/** How long start waits for Redis before going on without it. */
const REDIS_CONNECT_WAIT_MS = 2000;

/**
 * A Redis client for something that works, less well, without Redis: it fails fast while
 * disconnected (no offline queue), reconnects on its own, and says once per outage what
 * `fallback` the app falls back to. Start waits up to 2 s for it, then goes on either way.
 */
export async function connectRedis(url: string, fallback: string): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_CONNECT_WAIT_MS,
    // ioredis keeps a dead connection's socket timer this long after disconnect(), holding up exit.
    disconnectTimeout: 500,
  });
  let up = false;
  let warned = false;
  redis.on("ready", () => {
    if (warned) logger.info(`redis is back (${fallback} no longer)`);
    up = true;
    warned = false;
  });
  redis.on("error", (err: Error) => {
    if (warned) return;
    warned = true;
    logger.warn({ reason: err.message }, up ? `redis lost: ${fallback}` : `redis unreachable: ${fallback}`);
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, REDIS_CONNECT_WAIT_MS);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}
