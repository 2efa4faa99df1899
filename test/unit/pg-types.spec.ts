import pg from "pg";
import { parseTimestamptz } from "../../src/db/pg-types";

/** The fast timestamptz reader must agree with pg's own (postgres-date) on everything PostgreSQL prints. */
const generic = pg.types.getTypeParser(1184, "text") as (text: string) => Date | number | null;
const time = (v: Date | number | null) => (v instanceof Date ? v.getTime() : v);

describe("parseTimestamptz", () => {
  it.each([
    "2025-01-01 00:01:00+00",
    "2025-01-01 00:01:00.1+00",
    "2025-01-01 00:01:00.12+00",
    "2025-01-01 00:01:00.123+00",
    "2025-01-01 00:01:00.123456+05:30",
    "1999-12-31 23:59:59.999-08",
    "2025-03-01 00:00:00-03:30",
    "2024-02-29 12:00:00.5+14",
    "1970-01-01 00:00:00+00",
    "0050-01-01 00:00:00+00",
    "2025-01-01 00:00:00+00 BC",
    "12345-01-01 00:00:00+00",
    "2025-01-01 00:00:00+05:30:15",
    "infinity",
    "-infinity",
  ])("reads %s as pg does", (text) => {
    expect(time(parseTimestamptz(text))).toEqual(time(generic(text)));
  });

  it("agrees with pg on random instants, offsets and fractions", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let n = 0; n < 5000; n++) {
      const t = Math.floor(rand() * 4e12);
      const offset = (Math.floor(rand() * 29) - 14) * 60 + [0, 30, 45][n % 3] * (n % 2 ? 1 : -1);
      const local = new Date(t + offset * 60_000).toISOString();
      const abs = Math.abs(offset);
      const fraction = ["", `.${local.slice(20, 21)}`, `.${local.slice(20, 23)}`, `.${local.slice(20, 23)}456`][n % 4];
      const zone = `${offset >= 0 ? "+" : "-"}${String(Math.floor(abs / 60)).padStart(2, "0")}${abs % 60 ? `:${String(abs % 60).padStart(2, "0")}` : ""}`;
      const text = `${local.slice(0, 10)} ${local.slice(11, 19)}${fraction}${zone}`;
      expect(time(parseTimestamptz(text))).toBe(time(generic(text)));
    }
  });
});
