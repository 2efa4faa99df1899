import { GraphQLScalarType } from "graphql";
import { GraphQLDateTimeISO } from "graphql-scalars";

const MS_PER_DAY = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 10000-01-01T00:00:00.000Z: outside, toISOString writes a signed six-digit year. */
const FIRST_MS = -62_167_219_200_000;
const END_MS = 253_402_300_800_000;

const ZERO = 48;
const [DASH, T, COLON, DOT, Z] = [..."-T:.Z"].map((c) => c.charCodeAt(0));

/**
 * `new Date(ms).toISOString()`, faster: a page of leads with their nested lists prints hundreds of
 * timestamps, and V8's toISOString showed in its profile (bench/RESULTS.md). Days to a civil date by Howard Hinnant's `civil_from_days`. The string is made in one piece by
 * `String.fromCharCode`: a concatenated one is a rope that JSON.stringify must flatten later. Instants outside years 0–9999 and invalid ones go to toISOString (which
 * throws for the latter, as before).
 */
export function formatIsoUtc(ms: number): string {
  if (!(ms >= FIRST_MS && ms < END_MS)) return new Date(ms).toISOString();
  const days = Math.floor(ms / MS_PER_DAY);
  const msOfDay = ms - days * MS_PER_DAY;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const seconds = Math.floor(msOfDay / 1000);
  const hh = Math.floor(seconds / 3600);
  const mm = Math.floor(seconds / 60) % 60;
  const ss = seconds % 60;
  const frac = msOfDay % 1000;
  // prettier-ignore
  return String.fromCharCode(
    ZERO + Math.floor(year / 1000), ZERO + (Math.floor(year / 100) % 10), ZERO + (Math.floor(year / 10) % 10), ZERO + (year % 10), DASH,
    ZERO + Math.floor(month / 10), ZERO + (month % 10), DASH, ZERO + Math.floor(day / 10), ZERO + (day % 10), T,
    ZERO + Math.floor(hh / 10), ZERO + (hh % 10), COLON, ZERO + Math.floor(mm / 10), ZERO + (mm % 10), COLON,
    ZERO + Math.floor(ss / 10), ZERO + (ss % 10), DOT, ZERO + Math.floor(frac / 100), ZERO + (Math.floor(frac / 10) % 10), ZERO + (frac % 10), Z,
  );
}

/**
 * The instant of a string `formatIsoUtc` wrote for years 0–9999 (which PostgreSQL stores), or
 * undefined for any other string.
 */
export function parseIsoUtc(value: string): Date | undefined {
  const ms = Date.parse(value);
  if (!(ms >= FIRST_MS && ms < END_MS) || formatIsoUtc(ms) !== value) return undefined;
  return new Date(ms);
}

/**
 * The `DateTimeISO` scalar of graphql-scalars (same name, description, parsing and errors), with
 * `formatIsoUtc` for the Dates the app serializes. Anything else goes to graphql-scalars' own.
 */
const scalars = GraphQLDateTimeISO.toConfig();

export const DateTimeISO = new GraphQLScalarType({
  ...scalars,
  serialize(value) {
    if (value instanceof Date) {
      const ms = value.getTime();
      if (ms >= FIRST_MS && ms < END_MS) return formatIsoUtc(ms);
    }
    return scalars.serialize!(value);
  },
});
