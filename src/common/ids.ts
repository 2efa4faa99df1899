import { randomBytes } from "node:crypto";

/** Prefixes of the opaque ids; `node(id)` dispatches on them. */
export const ID_PREFIX = {
  lead: "lead",
  followup: "fu",
  followUpDetail: "fud",
  statusLog: "slog",
  reason: "rsn",
  apiKey: "key",
  event: "evt",
  webhookEndpoint: "whep",
  webhookDelivery: "whdl",
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** `lead_` + 20 random base-36 characters (~103 bits): opaque, unguessable, not sequential. */
export function newId(kind: IdKind): string {
  const bytes = randomBytes(20);
  let body = "";
  for (const b of bytes) body += ALPHABET[b % 36];
  return `${ID_PREFIX[kind]}_${body}`;
}

export function idKind(id: string): IdKind | undefined {
  const prefix = id.slice(0, id.indexOf("_"));
  return (Object.keys(ID_PREFIX) as IdKind[]).find((k) => ID_PREFIX[k] === prefix);
}
