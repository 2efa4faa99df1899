import type { DataSource, EntityManager } from "typeorm";
import { logger } from "../common/logger";
import { EventType } from "../events/event-type";
import { advanceOnDue } from "./follow-up-schedule";
import { LeadStatus } from "./lead.enums";
import { updateLead } from "./lead.repository";

/** The write's actor (`lastUpdatedBy`, the event's `actor`). */
export const TIMER_ACTOR = "system";

/** Leads fired per transaction-after-transaction run of one tick; a full run goes again at once. */
const BATCH = 100;

const CLOSED = [LeadStatus.WON, LeadStatus.LOST, LeadStatus.DELETED];

/**
 * The next due timer no other transaction holds, locked for this one. The condition is the
 * partial index leads_due's (migration DueTimers), so the scan is that index's first entries,
 * across orgs; SKIP LOCKED lets instances (and a user's write in flight) pass each other by.
 */
const CLAIM = `SELECT id, org_id AS "org", next_follow_up AS "dueOn" FROM leads
  WHERE next_follow_up <= now() AND next_follow_up IS NOT NULL AND status NOT IN (${CLOSED.map((s) => `'${s}'`).join(", ")})
    AND id <> ALL($1)
  ORDER BY next_follow_up LIMIT 1 FOR UPDATE SKIP LOCKED`;

interface Claimed {
  id: string;
  org: string;
  dueOn: Date;
}

/** Rolls a timer's transaction back without a write: the row is no longer the timer claimed. */
class NoLongerDue extends Error {}

/** A timer's transaction failed; `leadId` is the lead it had claimed, if any. */
export class TimerFailed extends Error {
  constructor(readonly leadId: string | null, cause: unknown) {
    super(`firing the follow-up timer of ${leadId ?? "(none claimed)"} failed`, { cause });
  }
}

/**
 * Fires the next due timer, if any, in one transaction: claim and lock the lead, then write it
 * through `updateLead` as actor `system` with event LEAD_FOLLOW_UP_DUE and the schedule's next
 * step (API.md "Follow-up timers"). Exactly once: the timer is fired only while its row is locked
 * and still holds the claimed `nextFollowUp`, and firing moves or clears it in the same commit.
 * Returns the id of the lead claimed (fired, or skipped as no longer due), or null when no timer is due.
 */
export async function fireNextDueTimer(ds: DataSource, passedOver: readonly string[] = []): Promise<string | null> {
  let claimed: Claimed | undefined;
  try {
    await ds.transaction(async (tx: EntityManager) => {
      [claimed] = (await tx.query(CLAIM, [passedOver])) as Claimed[];
      if (!claimed) return;
      const { id, org, dueOn } = claimed;
      await updateLead(tx, { org, actor: TIMER_ACTOR }, { id, event: EventType.LEAD_FOLLOW_UP_DUE }, (lead) => {
        // Locked again by the write path: a row changed since the claim is not this timer any more.
        if (lead.nextFollowUp?.getTime() !== dueOn.getTime() || CLOSED.includes(lead.status)) throw new NoLongerDue();
        const { due, next } = advanceOnDue({ ...lead, nextFollowUp: lead.nextFollowUp });
        return { changes: next, eventData: { ...due } };
      });
    });
  } catch (err) {
    if (!(err instanceof NoLongerDue)) throw new TimerFailed(claimed?.id ?? null, err);
  }
  return claimed?.id ?? null;
}

/**
 * Fires due timers now and every `pollMs` until stopped, each in its own short transaction (the
 * embedded database has one session: requests wait for one lead's write at a time, never a
 * batch's). A lead whose write fails is logged and passed over until the next tick; a tick that
 * fills its batch is followed at once by the next. Nothing here throws.
 */
export function startFollowUpTimers(ds: DataSource, pollMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms).unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  /** Fires up to BATCH due timers; whether it fired that many (more may be due). */
  const tick = async (): Promise<boolean> => {
    const passedOver: string[] = [];
    for (let claims = 0; claims < BATCH; claims++) {
      if (stopped) return false;
      try {
        if (!(await fireNextDueTimer(ds, passedOver))) return false;
      } catch (err) {
        const leadId = err instanceof TimerFailed ? err.leadId : null;
        logger.error({ err: err instanceof TimerFailed ? err.cause : err, leadId }, "firing a follow-up timer failed");
        // The claim itself failed (the database is away): wait for the next tick.
        if (!leadId) return false;
        passedOver.push(leadId);
      }
    }
    return true;
  };

  const running = (async () => {
    while (!stopped) {
      const full = await tick();
      if (!full && !stopped) await pause(pollMs);
    }
  })();

  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
