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
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
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
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, {
      method: "POST",
      headers: { ...request.headers, "content-length": Buffer.byteLength(request.body).toString() },
      agent: false,
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
      const done = () => {
        const ok = status >= 200 && status < 300;
        const excerpt = printable(Buffer.concat(chunks).toString("utf8").slice(0, EXCERPT_CHARS));
        const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
        finish({ status, ok, error: ok ? null : `HTTP ${status}${redirect}${excerpt ? `: ${excerpt}` : ""}` });
      };
      res.on("data", (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk.subarray(0, MAX_RESPONSE_BYTES - size));
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) done();
      });
      res.on("end", done);
      res.on("error", done);
    });
    req.end(request.body);
  });
}

/** Text safe to store and show: no control characters (NUL included), no unpaired surrogates. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}
