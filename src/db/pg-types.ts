import pg from "pg";

const TIMESTAMPTZ = 1184;
const fallback = pg.types.getTypeParser(TIMESTAMPTZ, "text") as (text: string) => Date | number | null;

const digit = (s: string, i: number) => s.charCodeAt(i) - 48;
const two = (s: string, i: number) => digit(s, i) * 10 + digit(s, i + 1);

/**
 * `timestamptz` as PostgreSQL prints it with DateStyle ISO (`2026-01-02 03:04:05.678+00`), read
 * without regular expressions: every lead and nested row carries several of them, and the generic
 * parser (postgres-date) was a visible share of a page's CPU time. Anything else (BC, infinity,
 * years before 100 or past 9999, odd layouts) goes to the generic parser.
 */
export function parseTimestamptz(s: string): Date | number | null {
  const n = s.length;
  if (n < 22 || s[4] !== "-" || s[7] !== "-" || s[10] !== " " || s[13] !== ":" || s[16] !== ":") return fallback(s);
  let i = 19;
  let ms = 0;
  if (s[i] === ".") {
    let scale = 100;
    for (i++; i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57; i++) {
      ms += digit(s, i) * scale;
      scale /= 10;
    }
    ms = Math.trunc(ms);
  }
  const sign = s[i] === "+" ? 1 : s[i] === "-" ? -1 : 0;
  if (sign === 0 || i + 3 > n) return fallback(s);
  let offsetMin = two(s, i + 1) * 60;
  i += 3;
  if (s[i] === ":") {
    offsetMin += two(s, i + 1);
    i += 3;
  }
  if (i !== n) return fallback(s); // seconds in the offset, " BC", …
  const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + two(s, 2);
  if (year < 100) return fallback(s);
  const utc = Date.UTC(year, two(s, 5) - 1, two(s, 8), two(s, 11), two(s, 14), two(s, 17), ms);
  return new Date(utc - sign * offsetMin * 60_000);
}

/** pg type parsers for the app's connections (`types` of a pg Pool's options). */
export const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === TIMESTAMPTZ && (format ?? "text") === "text") return parseTimestamptz;
    return pg.types.getTypeParser(oid, format);
  },
};
