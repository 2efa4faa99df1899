const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as `500ms`, `5s`, `5m`, `2h`, `1d` in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNITS[m[2]];
  return ms > 0 && ms <= 30 * UNITS.d ? ms : undefined;
}

/** WEBHOOK_RETRY_SCHEDULE: comma-separated waits before each retry (`5s,5m,30m`); throws on anything else. */
export function parseRetrySchedule(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const waits = parts.map(parseDuration);
  if (!parts.length || parts.length > 50 || waits.some((w) => w === undefined)) {
    throw new Error("must be 1 to 50 comma-separated durations such as 5s,5m,30m,2h (units ms, s, m, h, d; each at most 30d)");
  }
  return waits as number[];
}

/**
 * After the `failures`-th failed attempt in a row (1 for the first): when to try again, or null
 * when the schedule is exhausted (the delivery is FAILED).
 */
export function nextAttemptAfter(schedule: readonly number[], failures: number, now: number): Date | null {
  const wait = schedule[failures - 1];
  return wait === undefined ? null : new Date(now + wait);
}
