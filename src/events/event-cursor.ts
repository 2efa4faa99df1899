import { invalidField } from "../common/errors";

/**
 * A place in the event log, in cursor order: the writing transaction's id (`xid8`), then the
 * event's insertion number. `{ xid: H, seq: 0n }` is the horizon H: before every event of
 * transaction H and of any later one.
 */
export interface LogPosition {
  xid: bigint;
  seq: bigint;
}

const TAG = "ev1";
const MAX_U64 = (1n << 64n) - 1n;
const MAX_I64 = (1n << 63n) - 1n;
const DIGITS = /^(0|[1-9][0-9]{0,19})$/;

export const comparePositions = (a: LogPosition, b: LogPosition): number => (a.xid !== b.xid ? (a.xid < b.xid ? -1 : 1) : a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1);

export const laterPosition = (a: LogPosition, b: LogPosition): LogPosition => (comparePositions(a, b) >= 0 ? a : b);

export function encodeEventCursor(position: LogPosition): string {
  return Buffer.from(`${TAG}:${position.xid}:${position.seq}`).toString("base64url");
}

/**
 * The position an events cursor of this server holds; anything else (forged, truncated, another
 * query's cursor, another spelling of the same bytes) is BAD_USER_INPUT on `path`.
 */
export function decodeEventCursor(cursor: string, path = "after"): LogPosition {
  const invalid = () => invalidField(path, "is not a valid events cursor");
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split(":");
  if (parts.length !== 3 || parts[0] !== TAG || !DIGITS.test(parts[1]) || !DIGITS.test(parts[2])) throw invalid();
  const position = { xid: BigInt(parts[1]), seq: BigInt(parts[2]) };
  if (position.xid > MAX_U64 || position.seq > MAX_I64) throw invalid();
  if (encodeEventCursor(position) !== cursor) throw invalid();
  return position;
}
