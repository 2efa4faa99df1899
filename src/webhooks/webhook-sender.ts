import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkedAddresses, ipLiteral, TargetRefused, type TargetRules } from "./webhook-target";

/** The most of an answer's body read; the rest is never received. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** The excerpt of a failed answer's body kept in `lastError`. */
const EXCERPT_CHARS = 200;

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** An attempt's outcome: the answer's status (null without one) and, unless it was a 2xx, what went wrong. */
export interface AttemptOutcome {
  status: number | null;
  ok: boolean;
  error: string | null;
}

/** Connections kept per receiver (host and port) for later attempts. */
const SOCKETS_PER_RECEIVER = 8;

/**
 * Keep-alive agents, one pair per set of target rules (an app's): a receiver's TLS connection is
 * made once, not per delivery. A kept connection goes to the address that was checked when it was
 * made; every new connection is resolved and checked again (`lookup` below).
 */
const agentsByRules = new WeakMap<TargetRules, { http: http.Agent; https: https.Agent }>();

function agentsFor(rules: TargetRules) {
  let agents = agentsByRules.get(rules);
  if (!agents) {
    const options = { keepAlive: true, maxSockets: SOCKETS_PER_RECEIVER, maxFreeSockets: SOCKETS_PER_RECEIVER, scheduling: "lifo" as const };
    agentsByRules.set(rules, (agents = { http: new http.Agent(options), https: new https.Agent(options) }));
  }
  return agents;
}

/** Closes the kept connections of an app's rules (at shutdown). */
export function closeWebhookConnections(rules: TargetRules): void {
  const agents = agentsByRules.get(rules);
  agents?.http.destroy();
  agents?.https.destroy();
  agentsByRules.delete(rules);
}

/**
 * POSTs once: no redirect followed (a 3xx is a failure), the whole attempt within `timeoutMs`, at
 * most 64 KiB of the answer read. The host is resolved for this attempt, every address checked
 * (unless private ones are allowed), and the connection made to the checked address itself, so a
 * DNS answer that changes after the check (rebinding) is never connected to.
 */
export async function postWebhook(request: WebhookRequest, rules: TargetRules, timeoutMs: number, signal?: AbortSignal): Promise<AttemptOutcome> {
  const url = new URL(request.url);
  // Node never looks a literal address up: it is checked here, before any connection.
  const literal = ipLiteral(url.hostname);
  if (literal) {
    try {
      await checkedAddresses(literal, rules);
    } catch (err) {
      return { status: null, ok: false, error: `refused: ${(err as Error).message}` };
    }
  }
  return new Promise((resolve) => {
    let settled = false;
    /** `keep`: the answer was read to its end, so its connection can serve the next attempt. */
    const finish = (outcome: AttemptOutcome, keep = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (!keep) req.destroy();
      resolve(outcome);
    };
    const fail = (error: string) => finish({ status: null, ok: false, error });
    const lookup: LookupFunction = (hostname, options, callback) => {
      checkedAddresses(hostname, rules).then(
        (addresses) => {
          const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
          if (!wanted.length) return callback(Object.assign(new Error(`no IPv${options.family} address for ${hostname}`), { code: "ENOTFOUND" }), "", 4);
          if (options.all) (callback as unknown as (err: null, all: typeof wanted) => void)(null, wanted);
          else callback(null, wanted[0].address, wanted[0].family);
        },
        (err: Error) => callback(Object.assign(err, { code: err instanceof TargetRefused ? "EREFUSED_TARGET" : "ENOTFOUND" }), "", 4),
      );
    };
    const secure = url.protocol === "https:";
    const agents = agentsFor(rules);
    const req = (secure ? https : http).request(url, {
      method: "POST",
      headers: { ...request.headers, "content-length": Buffer.byteLength(request.body).toString() },
      agent: secure ? agents.https : agents.http,
      lookup,
    });
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
    const onAbort = () => fail("abandoned: the instance stopped");
    signal?.addEventListener("abort", onAbort);
    req.on("error", (err: NodeJS.ErrnoException) => fail(err.code === "EREFUSED_TARGET" ? `refused: ${err.message}` : `network error: ${err.code ?? err.message}`));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (complete: boolean) => {
        const ok = status >= 200 && status < 300;
        const excerpt = printable(Buffer.concat(chunks).toString("utf8").slice(0, EXCERPT_CHARS));
        const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
        finish({ status, ok, error: ok ? null : `HTTP ${status}${redirect}${excerpt ? `: ${excerpt}` : ""}` }, complete);
      };
      res.on("data", (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        // The rest is never read: the connection is dropped.
        if (size >= MAX_RESPONSE_BYTES) done(false);
      });
      res.on("end", () => done(true));
      res.on("error", () => done(false));
    });
    req.end(request.body);
  });
}

/** Text safe to store and show: no control characters (NUL included), no unpaired surrogates. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
