/**
 * Positional parameters of a statement put together from parts: `add(value)` keeps the value and
 * returns its placeholder (`$1`, `$2`, …), so a condition is written next to the value it takes.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
