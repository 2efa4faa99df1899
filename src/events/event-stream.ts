import type { DataSource } from "typeorm";
import { logger } from "../common/logger";
import { SerialTask } from "../common/serial-task";
import { comparePositions, laterPosition, type LogPosition } from "./event-cursor";
import { currentHorizon, logEnd, readLog, type LoggedEvent } from "./event-feed";
import type { EventType } from "./event-type";

/** What one subscriber receives: one org's events of some types, perhaps of one lead. */
export interface StreamFilter {
  org: string;
  types: readonly EventType[];
  leadId?: string | null;
}

const TAIL_BATCH = 500;
/** How soon the tail reads again while a transaction in flight holds back what a wake-up announced. */
const CHASE_MS = 25;
/**
 * Wake-ups start a read at most this often, so that under a stream of commits each read hands over
 * the events of several and each subscriber's socket sends them in one write
 * (src/http/ws-transport.ts) rather than one per event.
 */
const WAKE_READ_MS = 20;
const REPLAY_BATCH = 100;
/** Events a subscriber may have waiting; past it, it drops them and reads on from the log instead. */
const MAX_QUEUED = 5_000;

interface Listener {
  filter: StreamFilter;
  push(event: LoggedEvent): void;
  /** Events handed over and not yet sent (queued, or yielded and not yet taken up again). */
  pending(): boolean;
}

/**
 * The log read live, once per instance for every subscriber: a tail that follows the log in cursor
 * order below the horizon (src/events/event-feed.ts) and hands each event to the subscribers whose
 * filter it matches. It reads when woken (a commit here, a signal from another instance) and every
 * `pollMs` besides, so a lost signal only delays. Subscribers that resume from a cursor replay the
 * log first, then switch to the tail with no gap and no duplicate (see `subscribe`).
 */
export class EventStream {
  private position: LogPosition | undefined;
  private readonly listeners = new Set<Listener>();
  private timer: NodeJS.Timeout | undefined;
  private readonly reads = new SerialTask(
    () => this.readAll().catch((err) => logger.warn({ err }, "reading the event log failed; retrying")),
    WAKE_READ_MS,
  );
  private stopped = false;
  /** Set by a wake-up: the next read notes how far the log reached (`target`). */
  private woken = false;
  /**
   * Where the log reached when last woken: a transaction in flight in this database may hold
   * the horizon below it, and an event a signal announced may be waiting there. Until the horizon
   * passes it, the tail reads again soon rather than at the next poll.
   */
  private target: bigint | undefined;
  private chase: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly pollMs: number,
  ) {}

  /** Starts tailing at the log's current horizon. */
  async start(): Promise<void> {
    this.position = await currentHorizon(this.ds);
    this.timer = setInterval(() => this.reads.run(), this.pollMs).unref();
  }

  /** Reads the log soon (WAKE_READ_MS after the last read started at the latest). */
  wake(): void {
    // Nobody to tell: the poll moves the position on.
    if (!this.listeners.size) return;
    this.woken = true;
    this.reads.runSoon();
  }

  /** Reads again shortly while the horizon is below where the log reached when last woken. */
  private chaseTarget(reached: bigint | undefined): void {
    if (reached !== undefined && (this.target === undefined || reached > this.target)) this.target = reached;
    if (this.target === undefined || this.position!.xid >= this.target) {
      this.target = undefined;
      return;
    }
    if (!this.chase) this.chase = setTimeout(() => ((this.chase = undefined), this.reads.run()), CHASE_MS).unref();
  }

  /**
   * Stops reading, after handing over what has committed so far, and waits (up to `drainMs`) for
   * subscribers to send it. Subscriptions stay open: their sockets close (with 1001) after this.
   */
  async stop(drainMs = 0): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.timer);
    clearTimeout(this.chase);
    this.reads.stop();
    await this.reads.idle();
    const until = Date.now() + drainMs;
    if (this.position) {
      try {
        // Every event committed by now lies below this xid; read until the horizon passes it (a
        // transaction still in flight in this database holds the horizon back), for up to drainMs.
        const committed = await logEnd(this.ds);
        await this.readAll();
        while (this.position.xid < committed && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 20));
          await this.readAll();
        }
      } catch {
        // The database is going away too: what was not read is in the log for the next start's subscribers.
      }
    }
    this.stopped = true;
    while (Date.now() < until && [...this.listeners].some((l) => l.pending())) await new Promise((r) => setTimeout(r, 10));
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private async readAll(): Promise<void> {
    if (!this.position) return; // not started
    for (;;) {
      if (!this.listeners.size) {
        // Nobody listens: only move up to the horizon, unless someone subscribed meanwhile (from the old position).
        const horizon = await currentHorizon(this.ds);
        if (this.listeners.size) continue;
        this.position = laterPosition(horizon, this.position!);
        return;
      }
      const woken = this.woken;
      this.woken = false;
      const page = await readLog(this.ds, { after: this.position!, limit: TAIL_BATCH });
      for (const event of page.events) for (const listener of this.listeners) if (matches(listener.filter, event)) listener.push(event);
      this.position = page.resumeAt;
      if (!page.more) {
        this.chaseTarget(woken ? page.snapshotEnd : undefined);
        return;
      }
    }
  }

  /**
   * The events of `filter` after `after` (from the log, then live), or from now on when `after` is
   * null. The listener is registered before the log is replayed, so every event the tail reads from
   * then on is queued; the replay reads up to a horizon no older than the tail's, so the two
   * overlap rather than leave a gap, and an event at or before the last position delivered is
   * dropped as a duplicate.
   */
  subscribe(filter: StreamFilter, after: LogPosition | null): AsyncIterableIterator<LoggedEvent> {
    // A generator's own return() waits for its pending await (the next event, which may be long in
    // coming); this one ends a subscription at once, its listener removed.
    const control: Control = { closed: false };
    const events = this.run(filter, after, control);
    return {
      next: () => events.next(),
      return: async () => {
        control.closed = true;
        control.wake?.();
        return events.return(undefined);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private async *run(filter: StreamFilter, after: LogPosition | null, control: Control): AsyncGenerator<LoggedEvent> {
    const queue: LoggedEvent[] = [];
    let overflowed = false;
    let delivering = false;
    let notify: (() => void) | undefined;
    const listener: Listener = {
      filter,
      push(event) {
        if (overflowed) return;
        if (queue.length >= MAX_QUEUED) {
          overflowed = true;
          queue.length = 0;
        } else queue.push(event);
        notify?.();
      },
      pending: () => delivering || queue.length > 0,
    };
    // The tail's position now: everything it hands over from here on lies after it.
    let last: LogPosition = this.position!;
    this.listeners.add(listener);
    try {
      let replayFrom = after;
      for (;;) {
        if (replayFrom) {
          for (let position = replayFrom; ; ) {
            const page = await readLog(this.ds, { org: filter.org, after: position, types: filter.types, leadId: filter.leadId, limit: REPLAY_BATCH });
            for (const event of page.events) {
              last = event.position;
              delivering = true;
              yield event;
              delivering = false;
            }
            position = last = page.resumeAt;
            if (!page.more) break;
          }
          replayFrom = null;
        }
        while (queue.length) {
          const event = queue.shift()!;
          if (comparePositions(event.position, last) <= 0) continue;
          last = event.position;
          delivering = true;
          yield event;
          delivering = false;
        }
        if (overflowed) {
          // Too slow a reader: what it missed is still in the log.
          overflowed = false;
          replayFrom = last;
          continue;
        }
        if (control.closed) return;
        await new Promise<void>((resolve) => (notify = control.wake = resolve));
        notify = control.wake = undefined;
        if (control.closed) return;
      }
    } finally {
      this.listeners.delete(listener);
    }
  }
}

interface Control {
  closed: boolean;
  /** Wakes the subscription waiting for events. */
  wake?: () => void;
}

function matches(filter: StreamFilter, event: LoggedEvent): boolean {
  return event.org === filter.org && filter.types.includes(event.type) && (filter.leadId == null || event.leadId === filter.leadId);
}
