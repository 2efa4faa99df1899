import { Column, Generated, type ColumnOptions } from "typeorm";

/** Millisecond precision, the precision of a JS Date, so keyset cursors compare exactly. */
export const TimestampColumn = (name: string, options: ColumnOptions = {}) =>
  Column({ name, type: "timestamptz", precision: 3, ...options });

/**
 * Insertion order for append-only logs, whose own timestamps may be back-dated by the caller
 * (`createdOn`). Internal: never selected into entities nor exposed.
 */
export function SequenceColumn(): PropertyDecorator {
  return (target, property) => {
    Generated("increment")(target, property as string);
    Column({ name: "seq", type: "bigint", select: false, insert: false, update: false })(target, property);
  };
}
