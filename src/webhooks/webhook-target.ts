import { lookup as dnsLookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";

/** A resolved address of a host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to its addresses (injectable: tests answer as a DNS server would). */
export type WebhookLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: WebhookLookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Whether `address` is a public unicast address. Everything else is refused: loopback, private,
 * link-local, unique-local, CGNAT, multicast, unspecified, broadcast, documentation and reserved
 * ranges, and the IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64), whose
 * IPv4 part a router may reach. An IPv4-mapped IPv6 address is judged as the IPv4 it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "unicast";
}

/** A literal IP host of a URL (`[::1]` unbracketed), or null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(":") || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : null;
}

export interface TargetRules {
  /** `https` only (production). */
  httpsOnly: boolean;
  /** WEBHOOK_ALLOW_PRIVATE: any address may be a target. */
  allowPrivate: boolean;
  lookup: WebhookLookup;
}

export class TargetRefused extends Error {}

/** The URL's problem with its form (scheme, credentials, length), or null when it may be a target. */
export function urlProblem(text: string, rules: Pick<TargetRules, "httpsOnly">): string | null {
  if (text.length > 2048) return "must be at most 2048 characters";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && !rules.httpsOnly)) return rules.httpsOnly ? "must be an https URL" : "must be an http or https URL";
  if (!url.hostname) return "must name a host";
  if (url.username || url.password) return "must not contain credentials";
  if (url.hash) return "must not contain a fragment";
  return null;
}

/**
 * The addresses of `hostname` the rules let us connect to; throws TargetRefused when the host is or
 * resolves to a non-public address (any of its addresses: the one connected to is not ours to pick).
 */
export async function checkedAddresses(hostname: string, rules: TargetRules): Promise<ResolvedAddress[]> {
  const literal = ipLiteral(hostname);
  let addresses: ResolvedAddress[];
  if (literal) addresses = [{ address: literal, family: literal.includes(":") ? 6 : 4 }];
  else {
    try {
      addresses = await rules.lookup(hostname);
    } catch {
      throw new TargetRefused(`the host ${hostname} could not be resolved`);
    }
    if (!addresses.length) throw new TargetRefused(`the host ${hostname} could not be resolved`);
  }
  if (!rules.allowPrivate && addresses.some((a) => !isPublicAddress(a.address))) {
    throw new TargetRefused(`the host ${hostname} is or resolves to a non-public address (loopback, private, link-local or reserved)`);
  }
  return addresses;
}
