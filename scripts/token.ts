/**
 * Mints a JWT for calling the API:
 *
 *   npm run -s token -- --org <org> --sub <actor> --scopes "<scopes>" [--expires-in <seconds>]
 *
 * Signed with JWT_SECRET, or with the development secret outside production (the one a server
 * started without JWT_SECRET accepts). Prints only the token on stdout, so that
 * `TOKEN=$(npm run -s token -- …)` works; what it minted goes to stderr.
 */
import { parseArgs } from "node:util";
import { signToken, verifyToken } from "../src/auth/jwt";
import { SCOPES } from "../src/auth/scopes";
import { DomainError } from "../src/common/errors";
import { DEV_JWT_SECRET } from "../src/config";

const DEFAULT_EXPIRES_IN = 3600;

export const USAGE = `Usage:
  npm run -s token -- --org <org> --sub <actor> --scopes "<scopes>" [--expires-in <seconds>]

  --org         the tenant (the token's \`org\` claim), e.g. demo
  --sub         the actor (\`sub\`): stored as createdBy / lastUpdatedBy of its writes
  --scopes      space- or comma-separated, from: ${SCOPES.join(" ")}
                ("" for none: only \`viewer\` answers)
  --expires-in  lifetime in seconds (default ${DEFAULT_EXPIRES_IN})

Signed with JWT_SECRET; without it, outside NODE_ENV=production, with the development secret.`;

export class UsageError extends Error {}

export interface MintedToken {
  token: string;
  org: string;
  sub: string;
  scopes: string[];
  expiresAt: Date;
  /** True when signed with the development secret. */
  devSecret: boolean;
}

/** Parses the command line and signs the token; throws UsageError for anything the user should fix. */
export function mintToken(argv: string[], env: NodeJS.ProcessEnv = process.env): MintedToken {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        org: { type: "string" },
        sub: { type: "string" },
        scopes: { type: "string" },
        "expires-in": { type: "string" },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { org, sub, scopes: scopeList } = values;
  const missing = (["org", "sub", "scopes"] as const).filter((name) => values[name] === undefined);
  if (missing.length) throw new UsageError(`Missing ${missing.map((m) => `--${m}`).join(", ")}`);

  const scopes = [...new Set(scopeList!.split(/[\s,]+/).filter(Boolean))];
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`Unknown scope ${unknown.map((s) => `"${s}"`).join(", ")}; the scopes are ${SCOPES.join(" ")}`);

  const expiresRaw = values["expires-in"];
  const expiresIn = expiresRaw === undefined ? DEFAULT_EXPIRES_IN : Number(expiresRaw);
  if (!Number.isInteger(expiresIn) || expiresIn < 1) throw new UsageError("--expires-in must be a whole number of seconds, at least 1");

  const secret = env.JWT_SECRET;
  if (!secret && env.NODE_ENV === "production") throw new UsageError("JWT_SECRET is required with NODE_ENV=production");

  const token = signToken({ org: org!, sub: sub!, scopes }, secret || DEV_JWT_SECRET, expiresIn);
  try {
    // The server's own check: a token it would refuse is never printed.
    verifyToken(token, secret || DEV_JWT_SECRET);
  } catch (err) {
    if (err instanceof DomainError) throw new UsageError(`The server would refuse this token: ${err.message}`);
    throw err;
  }
  return { token, org: org!, sub: sub!, scopes, expiresAt: new Date(Date.now() + expiresIn * 1000), devSecret: !secret };
}

if (require.main === module) {
  try {
    const minted = mintToken(process.argv.slice(2));
    process.stderr.write(
      `Token for org "${minted.org}", actor "${minted.sub}", scopes "${minted.scopes.join(" ")}", ` +
        `expires ${minted.expiresAt.toISOString()}${minted.devSecret ? " (development secret)" : ""}:\n`,
    );
    process.stdout.write(`${minted.token}\n`);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
