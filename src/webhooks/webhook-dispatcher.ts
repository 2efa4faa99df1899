import { randomBytes } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { DomainError } from "../common/errors";
import { newId } from "../common/ids";
import { logger } from "../common/logger";
import { SerialTask } from "../common/serial-task";
import { readLog, type LoggedEvent } from "../events/event-feed";
import { onEventsCommitted } from "../events/event-log";
import type { EventType } from "../events/event-type";
import type { EventData } from "../events/event-data";
import { webhookBody } from "./webhook-payload";
import { closeWebhookConnections, postWebhook, type AttemptOutcome } from "./webhook-sender";
import { signatureHeader } from "./webhook-signature";
import type { TargetRules } from "./webhook-target";

export interface DispatcherOptions {
  pollMs: number;
  retrySchedule: readonly number[];
  timeoutMs: number;
  disableAfterMs: number;
  target: TargetRules;
}

/** Events fanned out per transaction. */
const FAN_OUT_BATCH = 500;
/** Attempts one instance has in flight at once. */
const MAX_IN_FLIGHT = 16;
/** A claim outlives the attempt's timeout by this much before another instance may take the delivery over. */
const LEASE_MARGIN_MS = 30_000;

interface Claimed {
  id: string;
  claim: string;
  endpoint_id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  event_id: string;
  type: EventType;
  occurred_on: Date;
  lead_id: string;
  followup_id: string | null;
  data: EventData;
  xid: string;
  seq: string;
}

/**
 * Delivers the event log to webhook endpoints, at least once, from every instance (API.md
 * "Webhooks"). Two steps, each its own short transaction, never one held over the network:
 * - fan-out: under a row lock on the single `webhook_dispatch` position (one instance at a time;
 *   the others skip), read the log past it (readLog: never skips a late commit), insert one
 *   delivery per (matching enabled endpoint, event), idempotently, and store the new position;
 * - attempts: claim due deliveries (a lease, FOR UPDATE SKIP LOCKED: each claimed by one instance),
 *   POST them outside any transaction, then record the outcome only if the claim still holds.
 * Both run every `pollMs` and whenever this process commits events.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = false;
  private readonly steps = new SerialTask(() => this.step());
  /** Attempts that ended, waiting to be recorded together (see `record`). */
  private readonly outcomes: Array<{ delivery: Claimed; outcome: AttemptOutcome; resolve: () => void; reject: (err: unknown) => void }> = [];
  /** The log may hold events not fanned out yet (a commit here, the poll). */
  private logGrew = false;
  /** Whether any org has an enabled endpoint, as of the last poll. */
  private anyEnabled = true;
  private readonly inFlight = new Map<string, { claim: string; controller: AbortController; done: Promise<void> }>();

  constructor(
    private readonly ds: DataSource,
    private readonly options: DispatcherOptions,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.poll(), this.options.pollMs).unref();
    // A commit wakes the fan-out only while some endpoint is enabled: without one, each write
    // would cost a fan-out transaction for nothing (the poll still moves the position on).
    this.unsubscribe = onEventsCommitted(this.ds, () => this.anyEnabled && this.wake());
    void this.poll();
    return this;
  }

  private async poll(): Promise<void> {
    try {
      const [row] = await this.ds.query(`SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) AS any`);
      this.anyEnabled = row.any;
    } catch {
      this.anyEnabled = true;
    }
    this.wake();
  }

  /** Runs a step (fan-out, then claims) now, or right after the one running. */
  wake(): void {
    this.logGrew = true;
    this.steps.run();
  }

  /**
   * Stops claiming; attempts in flight are abandoned (their answers not recorded) and their claims
   * released, so that the next instance to look attempts them again: at least once.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.steps.stop();
    await this.steps.idle();
    const abandoned = [...this.inFlight.entries()];
    for (const [, attempt] of abandoned) attempt.controller.abort();
    await Promise.all(abandoned.map(([, a]) => a.done));
    if (abandoned.length) {
      await this.ds
        .query(`UPDATE webhook_deliveries SET lease_until = NULL, claim = NULL WHERE id = ANY($1) AND claim = ANY($2)`, [
          abandoned.map(([id]) => id),
          abandoned.map(([, a]) => a.claim),
        ])
        .catch((err) => logger.warn({ err }, "releasing abandoned webhook claims failed; they expire with their lease"));
    }
    closeWebhookConnections(this.options.target);
  }

  private async step(): Promise<void> {
    try {
      if (this.logGrew) {
        this.logGrew = false;
        while (!this.stopped && (await this.fanOut()));
      }
      if (!this.stopped) await this.claimDue();
    } catch (err) {
      logger.warn({ err }, "webhook dispatch failed; retrying at the next poll");
    }
  }

  /** One batch of the log fanned out to deliveries; true when more is readable now. */
  async fanOut(): Promise<boolean> {
    return this.ds.transaction(async (tx) => {
      const [position] = await tx.query(`SELECT xid::text AS xid, seq::text AS seq FROM webhook_dispatch WHERE id = 1 FOR UPDATE SKIP LOCKED`);
      if (!position) return false; // another instance is fanning out
      const after = { xid: BigInt(position.xid), seq: BigInt(position.seq) };
      let page;
      try {
        page = await readLog(tx, { after, limit: FAN_OUT_BATCH });
      } catch (err) {
        if (!(err instanceof DomainError && err.code === "CURSOR_EXPIRED")) throw err;
        // Down for longer than the retention: what was deleted cannot be delivered; go on from there.
        logger.warn("webhook fan-out was behind the event retention window; continuing from the oldest event kept");
        await tx.query(`UPDATE webhook_dispatch d SET xid = w.xid, seq = w.seq FROM event_log_watermark w WHERE d.id = 1 AND w.id = 1`);
        return true;
      }
      if (page.events.length) await this.insertDeliveries(tx, page.events);
      if (page.resumeAt.xid !== after.xid || page.resumeAt.seq !== after.seq) {
        await tx.query(`UPDATE webhook_dispatch SET xid = CAST($1 AS xid8), seq = $2 WHERE id = 1`, [page.resumeAt.xid.toString(), page.resumeAt.seq.toString()]);
      }
      return page.more;
    });
  }

  private async insertDeliveries(tx: EntityManager, events: LoggedEvent[]): Promise<void> {
    const orgs = [...new Set(events.map((e) => e.org))];
    const endpoints: Array<{ id: string; org_id: string; event_types: string[]; created_on: Date }> = await tx.query(
      `SELECT id, org_id, event_types, created_on FROM webhook_endpoints WHERE enabled AND org_id = ANY($1)`,
      [orgs],
    );
    if (!endpoints.length) return;
    const columns: string[][] = [[], [], [], [], []];
    for (const event of events) {
      for (const endpoint of endpoints) {
        if (endpoint.org_id !== event.org || endpoint.created_on > event.occurredOn) continue;
        if (endpoint.event_types.length && !endpoint.event_types.includes(event.type)) continue;
        [newId("webhookDelivery"), event.org, endpoint.id, event.id, event.type].forEach((value, i) => columns[i].push(value));
      }
    }
    if (!columns[0].length) return;
    await tx.query(
      `INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event_id, event_type, next_attempt_on, created_on)
       SELECT id, org_id, endpoint_id, event_id, event_type, now(), now()
       FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS text[]), CAST($4 AS text[]), CAST($5 AS text[])) AS t(id, org_id, endpoint_id, event_id, event_type)
       ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
      columns,
    );
  }

  /** Claims the due deliveries this instance has room for and starts their attempts. */
  private async claimDue(): Promise<void> {
    const room = MAX_IN_FLIGHT - this.inFlight.size;
    if (room <= 0) return;
    const claim = randomBytes(12).toString("base64url");
    const claimed: Claimed[] = await this.ds.query(
      `WITH c AS (
         UPDATE webhook_deliveries SET lease_until = now() + make_interval(secs => $1), claim = $2
         WHERE id IN (
           SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
           WHERE d.status = 'PENDING' AND d.next_attempt_on <= now() AND (d.lease_until IS NULL OR d.lease_until < now()) AND e.enabled
           ORDER BY d.next_attempt_on LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
         RETURNING id, claim, endpoint_id, event_id)
       SELECT c.id, c.claim, c.endpoint_id, e.url, e.secret, e.previous_secret, e.previous_secret_until,
              ev.id AS event_id, ev.type, ev.occurred_on, ev.lead_id, ev.followup_id, ev.data, ev.xid::text AS xid, ev.seq::text AS seq
       FROM c JOIN webhook_endpoints e ON e.id = c.endpoint_id JOIN events ev ON ev.id = c.event_id`,
      [(this.options.timeoutMs + LEASE_MARGIN_MS) / 1000, claim, room],
    );
    for (const delivery of claimed) {
      const controller = new AbortController();
      const done = this.attempt(delivery, controller.signal).finally(() => {
        this.inFlight.delete(delivery.id);
        this.steps.run(); // room for another
      });
      this.inFlight.set(delivery.id, { claim, controller, done });
    }
  }

  private async attempt(delivery: Claimed, signal: AbortSignal): Promise<void> {
    const body = webhookBody({
      id: delivery.event_id,
      type: delivery.type,
      occurredOn: delivery.occurred_on,
      leadId: delivery.lead_id,
      followupId: delivery.followup_id,
      data: delivery.data,
      position: { xid: BigInt(delivery.xid), seq: BigInt(delivery.seq) },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const secrets = [delivery.secret];
    if (delivery.previous_secret && delivery.previous_secret_until && delivery.previous_secret_until.getTime() > Date.now()) secrets.push(delivery.previous_secret);
    const headers = {
      "content-type": "application/json",
      "user-agent": "leads-gateway-webhooks/1",
      "webhook-id": delivery.event_id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatureHeader(secrets, delivery.event_id, timestamp, body),
    };
    const outcome = await postWebhook({ url: delivery.url, headers, body }, this.options.target, this.options.timeoutMs, signal);
    if (this.stopped) return; // abandoned: released by stop()
    try {
      await this.record(delivery, outcome);
    } catch (err) {
      logger.warn({ err, delivery: delivery.id }, "recording a webhook attempt failed; the delivery is attempted again when its claim expires");
    }
  }

  /**
   * The outcome, recorded with the others that end in the same turn of the event loop: one
   * transaction for the batch (a burst of deliveries would otherwise be a transaction each).
   * A delivery whose claim was lost meanwhile (expired and taken, or a redelivery) is left alone.
   */
  private record(delivery: Claimed, outcome: AttemptOutcome): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.outcomes.push({ delivery, outcome, resolve, reject });
      if (this.outcomes.length === 1) setImmediate(() => void this.recordOutcomes());
    });
  }

  private async recordOutcomes(): Promise<void> {
    const batch = this.outcomes.splice(0);
    try {
      await this.ds.transaction(async (tx) => {
        const ended: Array<{ endpoint_id: string; ok: boolean; status: number | null }> = await tx.query(
          `WITH v AS (
             SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS boolean[]), CAST($4 AS int[]), CAST($5 AS text[]))
               AS v(id, claim, ok, status, error)),
           -- (a SELECT around the UPDATE: TypeORM answers an UPDATE's query with [rows, count])
           u AS (UPDATE webhook_deliveries d SET
             attempts = d.attempts + 1,
             failures = CASE WHEN v.ok THEN 0 ELSE d.failures + 1 END,
             status = CASE WHEN v.ok THEN 'SUCCEEDED' WHEN (CAST($6 AS bigint[]))[d.failures + 1] IS NULL THEN 'FAILED' ELSE 'PENDING' END,
             next_attempt_on = CASE WHEN v.ok THEN NULL ELSE now() + make_interval(secs => (CAST($6 AS bigint[]))[d.failures + 1] / 1000.0) END,
             last_response_status = v.status, last_error = v.error, lease_until = NULL, claim = NULL
           FROM v WHERE d.id = v.id AND d.claim = v.claim
           RETURNING d.endpoint_id, v.ok, v.status)
           SELECT endpoint_id, ok, status FROM u`,
          [
            batch.map((b) => b.delivery.id),
            batch.map((b) => b.delivery.claim),
            batch.map((b) => b.outcome.ok),
            batch.map((b) => b.outcome.status),
            batch.map((b) => b.outcome.error?.slice(0, 1000) ?? null),
            this.options.retrySchedule,
          ],
        );
        // Each endpoint once, in id order (two instances' batches lock them in the same order).
        const endpoints = new Map<string, { ok: boolean; gone: boolean }>();
        for (const row of ended) {
          const seen = endpoints.get(row.endpoint_id) ?? { ok: false, gone: false };
          endpoints.set(row.endpoint_id, { ok: seen.ok || row.ok, gone: seen.gone || row.status === 410 });
        }
        for (const id of [...endpoints.keys()].sort()) {
          const { ok, gone } = endpoints.get(id)!;
          if (ok && !gone) await this.recordSuccess(tx, id);
          else await this.recordFailure(tx, id, gone);
        }
      });
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  private async recordSuccess(tx: EntityManager, endpointId: string): Promise<void> {
    // At most about once a second per endpoint: a burst's recordings do not queue on its row.
    await tx.query(
      `UPDATE webhook_endpoints SET last_success_on = now(), failing_since = NULL
       WHERE id = $1 AND (failing_since IS NOT NULL OR last_success_on IS NULL OR last_success_on < now() - interval '1 second')`,
      [endpointId],
    );
  }

  /** A failure; a 410 (`gone`) disables the endpoint at once, and so does failing for WEBHOOK_DISABLE_AFTER_HOURS. */
  private async recordFailure(tx: EntityManager, endpointId: string, gone: boolean): Promise<void> {
    const hours = Math.round((this.options.disableAfterMs / 3_600_000) * 100) / 100;
    await tx.query(
      `UPDATE webhook_endpoints SET
         last_failure_on = now(),
         failing_since = COALESCE(failing_since, now()),
         enabled = enabled AND NOT ($2 OR COALESCE(failing_since, now()) <= now() - make_interval(secs => $3 / 1000.0)),
         disabled_reason = CASE
           WHEN NOT enabled THEN disabled_reason
           WHEN $2 THEN $4
           WHEN COALESCE(failing_since, now()) <= now() - make_interval(secs => $3 / 1000.0) THEN $5
           ELSE disabled_reason END
       WHERE id = $1`,
      [
        endpointId,
        gone,
        this.options.disableAfterMs,
        `Disabled on ${new Date().toISOString()}: the endpoint answered 410 Gone`,
        `Disabled on ${new Date().toISOString()}: no successful delivery for ${hours} hours of failures`,
      ],
    );
  }
}
