import type { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { FastifyPluginCallback, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { HttpRefusal } from "../common/errors";

const NOT_JSON = "The request body is not valid JSON";

const INFLATE: Record<string, (() => NodeJS.ReadWriteStream) | undefined> = { gzip: createGunzip, deflate: createInflate, br: createBrotliDecompress };

/**
 * The body of a GraphQL request: a JSON object (or, for a batch, an array) in UTF-8, possibly
 * gzip-, deflate- or brotli-compressed, at most BODY_LIMIT bytes once inflated (Fastify's
 * `bodyLimit`; above it 413). A body of any other type is left unread: Apollo refuses the request
 * (CSRF prevention, or no operation found).
 */
export const jsonBody: FastifyPluginCallback = fp(
  (app, _options, done) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("application/json", { parseAs: "string" }, (request, text, next) => {
      const charset = charsetOf(request);
      if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
        return next(new HttpRefusal(415, "BAD_REQUEST", "The request body's charset is not supported"));
      }
      next(null, parseJson(text as string));
    });
    app.addContentTypeParser("*", (_request, _payload, next) => next(null, undefined));
    app.addHook("preParsing", (request, _reply, payload, next) => {
      const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
      if (encoding === undefined || encoding === "identity" || !isJson(request)) return next(null, payload);
      const inflate = INFLATE[encoding];
      if (!inflate) return next(new HttpRefusal(415, "BAD_REQUEST", "The request body's encoding is not supported"));
      next(null, inflated(payload, inflate()));
    });
    done();
  },
  { name: "json-body" },
);

/** Objects and arrays only, like every JSON body parser clients have met (a bare value is refused); empty is `{}`. */
function parseJson(text: string): unknown {
  // A leading byte order mark is allowed.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new HttpRefusal(400, "BAD_REQUEST", NOT_JSON);
  }
  if (value === null || typeof value !== "object") throw new HttpRefusal(400, "BAD_REQUEST", NOT_JSON);
  return value;
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers["content-type"];
  return type !== undefined && type.split(";")[0].trim().toLowerCase() === "application/json";
}

function charsetOf(request: FastifyRequest): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers["content-type"] ?? "")?.[1].toLowerCase();
}

/**
 * The inflated body, reporting how many encoded bytes it read (Fastify checks them against
 * Content-Length, and the inflated ones against the body limit).
 */
function inflated(payload: Readable, inflate: NodeJS.ReadWriteStream): Readable & { receivedEncodedLength: number } {
  const stream = Object.assign(inflate as unknown as Readable, { receivedEncodedLength: 0 });
  payload.on("data", (chunk: Buffer) => (stream.receivedEncodedLength += chunk.length));
  payload.on("error", (err) => stream.destroy(err));
  // Once Fastify has refused the request (a bad Content-Type, a body over the limit) nobody reads
  // this stream, and the rest of the body may still fail to inflate.
  stream.on("error", () => undefined);
  payload.pipe(inflate);
  return stream;
}
