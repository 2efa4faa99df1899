import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { LRUCache } from "lru-cache";
import { unauthenticated } from "../common/errors";
import { isPrincipalId, MAX_PRINCIPAL_ID_LENGTH, SCOPES, type Principal } from "./scopes";

/**
 * The secret as a KeyObject, made once. Given a string, jsonwebtoken first tries to read it as a
 * PEM public key on every call, and builds and throws away an exception each time.
 */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, "utf8"))));
  return key;
}

/**
 * Tokens verified already, by the whole token string: a client sends the same token with every
 * request until it expires, and HMAC plus JSON parsing were a visible share of a small request.
 * Only accepted tokens are kept, each until its `exp`; the bound keeps a flood of distinct tokens
 * from growing memory.
 */
const verified = new LRUCache<string, { secret: string; principal: Principal; expiresAtMs: number }>({ max: 10_000 });

/**
 * Verifies an HS256 token (signature, `exp`, which is required) and reads `sub`, `org` and `scope`
 * from it. The one place a token's claims are checked: whatever passes is text every later step
 * (SQL parameters, rate-limit keys, logs) can hold.
 */
export function verifyToken(token: string, secret: string): Principal {
  const hit = verified.get(token);
  if (hit && hit.secret === secret) {
    // jsonwebtoken's own rule: expired from the second `exp` names.
    if (Date.now() < hit.expiresAtMs) return hit.principal;
    verified.delete(token);
    throw unauthenticated("The token has expired");
  }
  const { principal, exp } = verifyUncached(token, secret);
  verified.set(token, { secret, principal, expiresAtMs: exp * 1000 });
  return principal;
}

function verifyUncached(token: string, secret: string): { principal: Principal; exp: number } {
  let claims: jwt.JwtPayload | string;
  try {
    claims = jwt.verify(token, keyOf(secret), { algorithms: ["HS256"] });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw unauthenticated("The token has expired");
    throw unauthenticated("The token is not valid");
  }
  if (typeof claims === "string") throw unauthenticated("The token is not valid");
  const { sub, org, scope, exp } = claims as { sub?: unknown; org?: unknown; scope?: unknown; exp?: unknown };
  if (typeof exp !== "number" || !Number.isFinite(exp)) throw unauthenticated("The token must carry an `exp` claim");
  if (!isPrincipalId(sub) || !isPrincipalId(org))
    throw unauthenticated(`The token's \`sub\` and \`org\` claims must be non-empty well-formed text of at most ${MAX_PRINCIPAL_ID_LENGTH} characters`);
  const scopes = typeof scope === "string" ? scope.split(" ").filter(Boolean) : [];
  return { principal: { actor: sub, org, scopes: new Set(scopes) }, exp };
}

export interface TokenClaims {
  sub: string;
  org: string;
  scopes?: readonly string[];
}

/** Mints a token, as the development token printed at start and `npm run token` do. */
export function signToken(claims: TokenClaims, secret: string, expiresInSeconds = 30 * 24 * 3600): string {
  return jwt.sign({ org: claims.org, scope: (claims.scopes ?? SCOPES).join(" ") }, secret, {
    algorithm: "HS256",
    subject: claims.sub,
    expiresIn: expiresInSeconds,
  });
}
