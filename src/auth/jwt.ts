import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { unauthenticated } from "../common/errors";
import { SCOPES, type Principal } from "./scopes";

/** The widest values the columns storing them take: `org_id` varchar(64), `created_by` varchar(128). */
const MAX_ORG_LENGTH = 64;
const MAX_SUB_LENGTH = 128;

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

/** Verifies an HS256 token (signature, `exp`) and reads `sub`, `org` and `scope` from it. */
export function verifyToken(token: string, secret: string): Principal {
  let claims: jwt.JwtPayload | string;
  try {
    claims = jwt.verify(token, keyOf(secret), { algorithms: ["HS256"] });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw unauthenticated("The token has expired");
    throw unauthenticated("The token is not valid");
  }
  if (typeof claims === "string") throw unauthenticated("The token is not valid");
  const { sub, org, scope } = claims as { sub?: unknown; org?: unknown; scope?: unknown };
  if (!isClaim(sub, MAX_SUB_LENGTH) || !isClaim(org, MAX_ORG_LENGTH))
    throw unauthenticated(`The token must carry \`sub\` (at most ${MAX_SUB_LENGTH} characters) and \`org\` (at most ${MAX_ORG_LENGTH}) claims`);
  const scopes = typeof scope === "string" ? scope.split(" ").filter(Boolean) : [];
  return { actor: sub, org, scopes: new Set(scopes) };
}

function isClaim(value: unknown, maxLength: number): value is string {
  return typeof value === "string" && value.length > 0 && value.length <= maxLength;
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
