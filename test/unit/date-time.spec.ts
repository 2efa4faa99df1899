import { GraphQLDateTimeISO } from "graphql-scalars";
import { DateTimeISO, formatIsoUtc } from "../../src/common/date-time";

/** The fast formatter must print exactly what toISOString prints, and the scalar must behave as graphql-scalars' own. */
describe("formatIsoUtc", () => {
  it.each([
    "1970-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    "2000-02-29T12:34:56.789Z",
    "1900-03-01T00:00:00.001Z",
    "2100-02-28T23:59:59.999Z",
    "0000-01-01T00:00:00.000Z",
    "0001-03-01T00:00:00.000Z",
    "0099-12-31T23:59:59.999Z",
    "9999-12-31T23:59:59.999Z",
    "2026-11-21T04:05:06.070Z",
  ])("prints %s as toISOString does", (iso) => {
    const ms = Date.parse(iso);
    expect(formatIsoUtc(ms)).toBe(iso);
  });

  it("agrees with toISOString on 200,000 random instants in years 0–9999 and beyond", () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const mismatches: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const ms = Math.floor((next() * 2 - 1) * 3e14);
      if (formatIsoUtc(ms) !== new Date(ms).toISOString()) mismatches.push(`${ms}: ${formatIsoUtc(ms)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("hands years outside 0–9999 to toISOString, and throws for an invalid instant as it does", () => {
    expect(formatIsoUtc(Date.parse("+010000-01-01T00:00:00.000Z"))).toBe("+010000-01-01T00:00:00.000Z");
    expect(formatIsoUtc(Date.parse("-000001-12-31T23:59:59.999Z"))).toBe("-000001-12-31T23:59:59.999Z");
    expect(() => formatIsoUtc(NaN)).toThrow(RangeError);
  });
});

describe("DateTimeISO scalar", () => {
  const original = GraphQLDateTimeISO;

  it("keeps graphql-scalars' name, description and parsing", () => {
    expect(DateTimeISO.name).toBe(original.name);
    expect(DateTimeISO.description).toBe(original.description);
    expect(DateTimeISO.parseValue("2026-01-02T03:04:05.678+01:00")).toEqual(original.parseValue("2026-01-02T03:04:05.678+01:00"));
    expect(() => DateTimeISO.parseValue("yesterday")).toThrow();
  });

  it.each([
    ["a Date", new Date("2026-01-02T03:04:05.678Z")],
    ["a Date before 1970", new Date("1955-06-07T08:09:10.011Z")],
    ["a Date past year 9999", new Date(Date.parse("+012345-01-01T00:00:00.000Z"))],
    ["an ISO string", "2026-01-02T03:04:05.678+01:00"],
    ["epoch seconds", 1_700_000_000],
  ])("serializes %s as graphql-scalars does", (_label, value) => {
    expect(DateTimeISO.serialize(value)).toBe(original.serialize(value));
  });

  it.each([
    ["an invalid Date", new Date(NaN)],
    ["a non-date string", "soon"],
    ["an object", {}],
  ])("refuses %s as graphql-scalars does", (_label, value) => {
    expect(() => DateTimeISO.serialize(value)).toThrow();
    expect(() => original.serialize(value)).toThrow();
  });
});
