import { createHash, randomBytes } from "node:crypto";
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLResponse } from "@apollo/server";
import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import type { DataSource } from "typeorm";
import type { Principal } from "../auth/scopes";
import type { ErrorCode, FieldErrors } from "../common/errors";
import { errorResponseBody, INTERNAL_MESSAGE } from "../common/format-error";
import { logger } from "../common/logger";
import type { Context } from "../context";
import { currentScope } from "../http/request-scope";
import { IdempotencyFence } from "./idempotency.fence";
import { IdempotencyStore, type ClaimedKey, type KeyId } from "./idempotency.store";

/**
 * `Idempotency-Key` on mutations: a retry with the same key and the same operation gets the first
 * response again (marked `Idempotent-Replayed: true`) instead of running a second time.
 *
 * - A key belongs to one principal (org + JWT `sub`, or the API key) and is kept
 *   IDEMPOTENCY_TTL_HOURS from its first use, in `idempotency_keys`.
 * - The same key with another operation, variables or operation name: 409 `CONFLICT`.
 * - A retry while the first is still running waits for it (up to IDEMPOTENCY_WAIT_MS), then
 *   replays its response; past the wait it gets 409 `CONFLICT` with `Retry-After`.
 * - The first response is kept when the mutation wrote something or ran to a domain answer
 *   (`NOT_FOUND`, `CONFLICT`, `FAILED_PRECONDITION`). When nothing was written and the request was
 *   refused for what or who sent it, or failed (`INTERNAL_SERVER_ERROR`, `TIMEOUT`, …), the key is
 *   released, so a retry with it runs afresh.
 *
 * Exactly once, under faults too: running the mutation needs a claim on the key (a row with a
 * random token). Every transaction the request commits first marks the row executed, in that same
 * transaction and only while the token is still its own (idempotency.fence.ts). So the writes and the
 * mark commit together or not at all; an abandoned claim (its owner gone, nothing executed) can be
 * taken over safely, and a claim whose writes committed is never run again, even when the
 * response could not be stored. No connection is held while waiting: the embedded database's one
 * session stays free for the request being waited for.
 */

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";

/** 1 to 255 printable ASCII characters (a UUID is the usual choice). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** How often a retry looks again at a claim held by another instance. */
const POLL_MS = 50;
/** Expired keys are ignored at once, and deleted by a sweep this often. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Codes of a mutation that ran to an answer: its response is kept even when nothing was written. */
const KEPT_CODES: ReadonlySet<unknown> = new Set(["NOT_FOUND", "CONFLICT", "FAILED_PRECONDITION"]);

export interface IdempotencyOptions {
  ttlHours: number;
  waitMs: number;
}

/** A key this request holds the claim to. */
export interface Claim extends ClaimedKey {
  /** Its transactions are fenced (see IdempotencyFence). */
  armed: boolean;
  /** The operation began to execute: willSendResponse will settle the claim. */
  started: boolean;
  /** A transaction of the request committed (so the row is marked executed). */
  committed: boolean;
  settled: boolean;
}

/** A request that sent an Idempotency-Key, as its request scope carries it. */
export interface IdempotencyScope {
  /** The `Idempotency-Key` header, as sent. */
  key: string;
  batched: boolean;
  claim?: Claim;
}

type Decision =
  | { kind: "execute"; token: string }
  | { kind: "replay"; status: number; body: string }
  | { kind: "conflict"; message: string; retryAfter?: number };

export interface Idempotency {
  /** Fastify hook of the GraphQL route: puts the key on the request scope, and settles a claim the request broke off. */
  hooks: FastifyPluginCallback;
  /** Claims the key, replays or refuses, and keeps the response. */
  plugin: ApolloServerPlugin<Context>;
  store: IdempotencyStore;
  /** Stops the hourly purge (and waits for one in progress). */
  close(): Promise<void>;
}

export function createIdempotency(ds: DataSource, options: IdempotencyOptions): Idempotency {
  const store = new IdempotencyStore(ds, options.ttlHours);
  ds.subscribers.push(new IdempotencyFence());

  // The claims this instance holds, by token. A retry here waits on them directly, and knows that
  // a token of this instance missing from the map has no owner any more (it need not wait out the lease).
  const instance = randomBytes(6).toString("hex");
  const inFlight = new Map<string, { finished: Promise<void>; finish: () => void }>();
  const isOurs = (token: string) => token.startsWith(`${instance}.`);
  const register = (token: string) => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    inFlight.set(token, { finished, finish });
  };
  const unregister = (token: string) => {
    inFlight.get(token)?.finish();
    inFlight.delete(token);
  };

  async function decide(id: KeyId, requestHash: string): Promise<Decision> {
    const deadline = Date.now() + options.waitMs;
    // A token of ours seen without its owner: the row may have been read just before the owner's
    // last write (its response), so it is only taken to be abandoned when a second look agrees.
    let suspect: string | undefined;
    for (;;) {
      const token = `${instance}.${randomBytes(12).toString("hex")}`;
      register(token); // before the row can exist: no one may see the token without its owner
      let won = false;
      try {
        if ((won = await store.claim(id, requestHash, token))) return { kind: "execute", token };
        const row = await store.find(id);
        if (!row) continue; // released or expired since: claim it again
        if (row.requestHash !== requestHash)
          return { kind: "conflict", message: "This Idempotency-Key was already used with a different request; use a new key" };
        if (row.responseBody !== null) return { kind: "replay", status: row.responseStatus ?? 200, body: row.responseBody };
        const ownerGoneHere = isOurs(row.token) && !inFlight.has(row.token);
        if (ownerGoneHere && suspect !== row.token) {
          suspect = row.token;
          continue;
        }
        if (row.leaseExpired || ownerGoneHere) {
          if (row.executed)
            return {
              kind: "conflict",
              message:
                "The request with this Idempotency-Key was applied, but its response was lost; it will not run again (read the data to see its outcome)",
            };
          if ((won = await store.takeOver(id, row.token, token))) return { kind: "execute", token };
          continue; // someone else moved first: look again
        }
        const left = deadline - Date.now();
        if (left <= 0) return { kind: "conflict", message: "A request with this Idempotency-Key is still in progress; retry later", retryAfter: 1 };
        // Wait for the owner: woken as it finishes when it runs here, else by polling.
        const local = inFlight.get(row.token);
        await waitAtMost(local?.finished, local ? left : Math.min(left, POLL_MS));
      } finally {
        if (!won) unregister(token);
      }
    }
  }

  /** Keeps the response (or frees the key, see the top of the file); the claim is done. */
  async function settle(claim: Claim, response?: { status: number; body: string; answered: boolean }): Promise<void> {
    if (claim.settled) return;
    claim.settled = true;
    try {
      if (response && (response.answered || claim.committed)) await store.saveResponse(claim, response.status, response.body);
      else if (!claim.committed) await store.release(claim);
      // Committed but no response to keep (the request broke off): the row stays executed and never runs again.
    } catch (err) {
      logger.warn({ err }, "idempotency key could not be settled");
    } finally {
      unregister(claim.token);
    }
  }

  const hooks: FastifyPluginCallback = fp(
    (app, _options, done) => {
      app.addHook("preHandler", (request, reply, next) => {
        // (read here: Apollo's view of the headers leaves out empty ones)
        const key = request.headers[IDEMPOTENCY_HEADER];
        if (typeof key === "string") {
          const current: IdempotencyScope = (request.scope.idempotency = { key, batched: Array.isArray(request.body) });
          // A request that broke off before it began to execute never reaches willSendResponse. Its
          // claim stays armed: should it execute after all, the fence refuses its commit.
          reply.raw.once("close", () => {
            const claim = current.claim;
            if (claim && !claim.settled && !claim.started) void settle(claim);
          });
        }
        next();
      });
      done();
    },
    { name: "idempotency", dependencies: ["request-scope"] },
  );

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      const current = currentScope()?.idempotency;
      return {
        async responseForOperation(rc) {
          if (rc.operation?.operation !== "mutation") return null;
          if (!current) return null;
          const { key } = current;
          if (!VALID_KEY.test(key))
            return errorResponse(400, "BAD_USER_INPUT", "The Idempotency-Key header must be 1 to 255 printable ASCII characters", {
              fields: { "Idempotency-Key": ["must be 1 to 255 printable ASCII characters"] },
            });
          if (current.batched)
            return errorResponse(400, "BAD_USER_INPUT", "Idempotency-Key cannot be sent with a batched request; send the mutation on its own", {
              fields: { "Idempotency-Key": ["cannot be sent with a batched request"] },
            });
          const auth = rc.contextValue.auth;
          if (!auth) return null; // refused by the resolvers' auth check: nothing runs, nothing to keep

          const id: KeyId = { org: auth.org, principal: principalOf(auth), key };
          let decision: Decision;
          try {
            decision = await decide(id, requestHash(rc));
          } catch (err) {
            logger.error({ err }, "unexpected error");
            return errorResponse(500, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE);
          }
          switch (decision.kind) {
            case "execute":
              current.claim = { ...id, token: decision.token, armed: true, started: false, committed: false, settled: false };
              return null;
            case "replay":
              return {
                http: { status: decision.status, headers: new HeaderMap([[REPLAYED_HEADER, "true"]]) },
                body: { kind: "single", singleResult: JSON.parse(decision.body) },
              };
            case "conflict":
              return errorResponse(409, "CONFLICT", decision.message, {
                headers: decision.retryAfter ? [["retry-after", String(decision.retryAfter)]] : [],
              });
          }
        },
        async executionDidStart() {
          if (current?.claim) current.claim.started = true;
        },
        async willSendResponse({ response }) {
          const claim = current?.claim;
          if (!claim || claim.settled) return;
          claim.armed = false; // the operation is over: nothing more of it to fence
          if (response.body.kind !== "single") return settle(claim);
          const result = response.body.singleResult;
          const errors = result.errors ?? [];
          const answered =
            errors.length === 0 ||
            Object.values(result.data ?? {}).some((value) => value !== null) ||
            errors.every((e) => KEPT_CODES.has(e.extensions?.code));
          await settle(claim, { status: response.http.status ?? 200, body: JSON.stringify(result), answered });
        },
      };
    },
  };

  let purging: Promise<unknown> = Promise.resolve();
  const purge = () =>
    (purging = store.purgeExpired().catch((err) => logger.warn({ err }, "expired idempotency keys could not be purged")));
  purge();
  const timer = setInterval(purge, PURGE_INTERVAL_MS).unref();

  return {
    hooks,
    plugin,
    store,
    async close() {
      clearInterval(timer);
      await purging;
    },
  };
}

/** The key's owner: an API key by its id, anyone else by the token's `sub` (the org is a column of its own). */
function principalOf(auth: Principal): string {
  return auth.apiKeyId ? `apikey:${auth.apiKeyId}` : `sub:${auth.actor}`;
}

/** The operation as the server runs it: document, operation name and variables (key order aside). */
function requestHash(rc: GraphQLRequestContext<Context>): string {
  const { operationName, variables, query } = rc.request;
  const canonical = canonicalJson({ query: rc.source ?? query ?? null, operationName: operationName ?? null, variables: variables ?? {} });
  return createHash("sha256").update(canonical).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** A response that refuses the operation, built like every other error of the API. */
function errorResponse(
  status: number,
  code: ErrorCode,
  message: string,
  extra: { fields?: FieldErrors; headers?: Array<[string, string]> } = {},
): GraphQLResponse {
  return {
    http: { status, headers: new HeaderMap(extra.headers ?? []) },
    body: { kind: "single", singleResult: errorResponseBody(code, message, extra.fields) },
  };
}

/** Resolves when `promise` does or after `ms`, whichever is first. */
function waitAtMost(promise: Promise<void> | undefined, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    promise?.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
