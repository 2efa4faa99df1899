import type { DataSource, EntityManager } from "typeorm";
import type { Principal } from "../auth/scopes";
import { formatIsoUtc } from "../common/date-time";
import { failedPrecondition, invalidField, notFound } from "../common/errors";
import { newId } from "../common/ids";
import { requireSomeChange } from "../common/validation";
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, toPage } from "../common/pagination";
import type { EventType } from "../events/event-type";
import { DELIVERY_COLUMNS, toDelivery, WebhookDeliveryConnection, type DeliveryRow, type WebhookDelivery } from "./webhook-delivery";
import { ENDPOINT_COLUMNS, toEndpoint, type EndpointRow, type WebhookEndpoint, type WebhookEndpointSecret } from "./webhook-endpoint";
import type { CreateWebhookEndpointInput, UpdateWebhookEndpointInput } from "./webhook.inputs";
import { newWebhookSecret } from "./webhook-signature";
import { checkedAddresses, TargetRefused, urlProblem, type TargetRules } from "./webhook-target";

export interface WebhookLimits {
  maxEndpoints: number;
  target: TargetRules;
}

/** How long a rotated-out secret keeps signing (API.md: 24 hours). */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;
const DELIVERY_ORDER = "whdl:created";

/** Webhook endpoints and their deliveries, one org's at a time (API.md "Webhooks"). */
export class WebhookService {
  constructor(
    private readonly ds: DataSource,
    private readonly limits: WebhookLimits,
  ) {}

  list(principal: Principal): Promise<WebhookEndpoint[]> {
    return this.ds
      .query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_on, id`, [principal.org])
      .then((rows: EndpointRow[]) => rows.map(toEndpoint));
  }

  async create(principal: Principal, input: CreateWebhookEndpointInput): Promise<WebhookEndpointSecret> {
    await this.checkUrl(input.url);
    const secret = newWebhookSecret();
    const row = await this.ds.transaction(async (tx) => {
      // One creation per org at a time, so that two at once cannot both pass the count.
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('webhook_endpoints:' || $1))`, [principal.org]);
      const [{ n }] = await tx.query(`SELECT count(*)::int AS n FROM webhook_endpoints WHERE org_id = $1`, [principal.org]);
      if (n >= this.limits.maxEndpoints) {
        throw failedPrecondition(`This org already has ${n} webhook endpoints, the most it may have (WEBHOOK_MAX_ENDPOINTS); delete one first`);
      }
      const [created]: EndpointRow[] = await tx.query(
        `INSERT INTO webhook_endpoints (id, org_id, url, event_types, description, secret, created_on) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING ${ENDPOINT_COLUMNS}`,
        [newId("webhookEndpoint"), principal.org, input.url, eventTypes(input.eventTypes), input.description ?? null, secret, new Date()],
      );
      return created;
    });
    return { endpoint: toEndpoint(row), secret };
  }

  async update(principal: Principal, id: string, input: UpdateWebhookEndpointInput): Promise<WebhookEndpoint> {
    requireSomeChange(input, ["url", "eventTypes", "description", "enabled"]);
    if (input.url !== undefined) await this.checkUrl(input.url);
    const sets: string[] = [];
    const values: unknown[] = [id, principal.org];
    const set = (column: string, value: unknown) => sets.push(`${column} = $${values.push(value)}`);
    if (input.url !== undefined) set("url", input.url);
    if (input.eventTypes !== undefined) set("event_types", eventTypes(input.eventTypes));
    if (input.description !== undefined) set("description", input.description);
    if (input.enabled === true) sets.push("enabled = true", "disabled_reason = NULL", "failing_since = NULL");
    if (input.enabled === false) {
      // A reason already given (410, no success) is kept: it says why it stopped first.
      values.push("Disabled by updateWebhookEndpoint");
      sets.push("enabled = false", `disabled_reason = CASE WHEN enabled THEN $${values.length} ELSE disabled_reason END`);
    }
    const rows: EndpointRow[] = await this.ds.query(
      `WITH u AS (UPDATE webhook_endpoints SET ${sets.join(", ")} WHERE id = $1 AND org_id = $2 RETURNING ${ENDPOINT_COLUMNS}) SELECT * FROM u`,
      values,
    );
    if (!rows.length) throw notFound("Webhook endpoint");
    return toEndpoint(rows[0]);
  }

  /** Deletes the endpoint and its deliveries; returns its id. */
  async delete(principal: Principal, id: string): Promise<string> {
    // Deliveries first, then the endpoint: the order in which recording an attempt locks them
    // (delivery, then endpoint), so that a delete and an attempt being recorded never deadlock.
    const rows = await this.ds.transaction(async (tx) => {
      await tx.query(`DELETE FROM webhook_deliveries d USING webhook_endpoints e WHERE d.endpoint_id = e.id AND e.id = $1 AND e.org_id = $2`, [id, principal.org]);
      return tx.query(`WITH d AS (DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2 RETURNING id) SELECT id FROM d`, [id, principal.org]);
    });
    if (!rows.length) throw notFound("Webhook endpoint");
    return id;
  }

  /** A new secret; the one it replaces keeps signing for 24 hours (deliveries carry both signatures). */
  async rotateSecret(principal: Principal, id: string): Promise<WebhookEndpointSecret> {
    const secret = newWebhookSecret();
    const rows: EndpointRow[] = await this.ds.query(
      `WITH u AS (
         UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = $4, secret = $3
         WHERE id = $1 AND org_id = $2 RETURNING ${ENDPOINT_COLUMNS})
       SELECT * FROM u`,
      [id, principal.org, secret, new Date(Date.now() + PREVIOUS_SECRET_MS)],
    );
    if (!rows.length) throw notFound("Webhook endpoint");
    return { endpoint: toEndpoint(rows[0]), secret };
  }

  /** The endpoint's deliveries, newest first. */
  async deliveries(principal: Principal, endpointId: string, first?: number | null, after?: string | null, failedOnly?: boolean | null): Promise<WebhookDeliveryConnection> {
    const position = after != null ? decodeCursor(after, DELIVERY_ORDER) : null;
    const [endpoint] = await this.ds.query(`SELECT id FROM webhook_endpoints WHERE id = $1 AND org_id = $2`, [endpointId, principal.org]);
    if (!endpoint) throw notFound("Webhook endpoint");
    const where = [`endpoint_id = $1`];
    if (failedOnly) where.push(`(status = 'FAILED' OR (status = 'PENDING' AND failures > 0))`);
    const filter = where.join(" AND ");
    const size = first ?? DEFAULT_PAGE_SIZE;
    const values: unknown[] = [endpointId, size + 1];
    const keyset = position ? ` AND (created_on, id) < ($${values.push(position.at)}, $${values.push(position.id)})` : "";
    const rows: DeliveryRow[] = await this.ds.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ${filter}${keyset} ORDER BY created_on DESC, id DESC LIMIT $2`,
      values,
    );
    const page = toPage(rows.map(toDelivery), size, after, (d) => encodeCursor({ order: DELIVERY_ORDER, value: formatIsoUtc(d.createdOn.getTime()), id: d.id }));
    const count = async () => (await this.ds.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE ${filter}`, [endpointId]))[0].n as number;
    return new WebhookDeliveryConnection(page.edges, page.pageInfo, count);
  }

  /**
   * Queues the delivery for an attempt now, whatever its status, with a fresh retry schedule. An
   * attempt already in flight loses its claim: its result is not recorded over this one.
   */
  async redeliver(principal: Principal, deliveryId: string): Promise<WebhookDelivery> {
    return this.ds.transaction(async (tx: EntityManager) => {
      const [found] = await tx.query(
        `SELECT e.enabled FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1 AND d.org_id = $2 FOR UPDATE OF d`,
        [deliveryId, principal.org],
      );
      if (!found) throw notFound("Webhook delivery");
      if (!found.enabled) throw failedPrecondition("The delivery's endpoint is disabled; enable it (updateWebhookEndpoint) first");
      const [row]: DeliveryRow[] = await tx.query(
        `WITH u AS (
           UPDATE webhook_deliveries SET status = 'PENDING', failures = 0, next_attempt_on = now(), lease_until = NULL, claim = NULL
           WHERE id = $1 RETURNING ${DELIVERY_COLUMNS})
         SELECT * FROM u`,
        [deliveryId],
      );
      return toDelivery(row);
    });
  }

  private async checkUrl(url: string): Promise<void> {
    const problem = urlProblem(url, this.limits.target);
    if (problem) throw invalidField("input.url", problem);
    if (this.limits.target.allowPrivate) return;
    try {
      await checkedAddresses(new URL(url).hostname, this.limits.target);
    } catch (err) {
      if (err instanceof TargetRefused) throw invalidField("input.url", `is refused: ${err.message}`);
      throw err;
    }
  }
}

/** Stored without duplicates; empty means every type. */
const eventTypes = (types: readonly EventType[] | null | undefined): EventType[] => [...new Set(types ?? [])];
