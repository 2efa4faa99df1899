import { parse, type OperationDefinitionNode } from "graphql";
import { expandedFieldCount } from "../../src/execution";

const measure = (source: string, cap = 1_000_000) => {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition")!;
  return expandedFieldCount(document, operation, cap);
};

/** `n` fragments, each selecting one field and spreading the next `times` times. */
const chain = (n: number, times: number) =>
  `{ leads { ...F0 } }\n` +
  Array.from({ length: n }, (_, i) => (i === n - 1 ? `fragment F${i} on LeadConnection { totalCount }` : `fragment F${i} on LeadConnection { totalCount ${` ...F${i + 1}`.repeat(times)} }`)).join("\n");

describe("expandedFieldCount", () => {
  it("counts every field, nested ones included", () => {
    expect(measure(`{ viewer { org actor } leads { totalCount edges { node { id } } } }`)).toBe(8);
  });

  it("counts a fragment at each place it is spread, inline fragments by their fields", () => {
    expect(measure(`{ a: lead(id: "1") { ...L } b: lead(id: "2") { ...L ... on Lead { email } } } fragment L on Lead { id status }`)).toBe(7);
  });

  it("grows with the spreads, as graphql-jit's compilation does: 2^n for a chain spreading twice", () => {
    expect(measure(chain(3, 1))).toBe(1 + 3);
    expect(measure(chain(3, 2))).toBe(1 + 1 + 2 + 4);
    expect(measure(chain(11, 2))).toBe(1 + (2 ** 11 - 1));
  });

  it("stops at cap + 1, at once, however large the expansion", () => {
    const started = Date.now();
    expect(measure(chain(30, 2), 2000)).toBe(2001);
    expect(measure(chain(200, 3), 2000)).toBe(2001);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("treats a fragment cycle as too large", () => {
    expect(measure(`{ viewer { ...A } } fragment A on Viewer { org ...B } fragment B on Viewer { ...A }`, 50)).toBe(51);
  });
});
