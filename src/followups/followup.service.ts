import type { DataSource } from "typeorm";
import type { Principal } from "../auth/scopes";
import { invalidField } from "../common/errors";
import { requireSomeChange } from "../common/validation";
import { formatIsoUtc } from "../common/date-time";
import { newId } from "../common/ids";
import { selectColumns, selectOneOfOrg, toEntities } from "../db/raw-select";
import { SqlParams } from "../db/sql-params";
import { newVersionedRow, updateVersioned } from "../db/versioned-write";
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, toPage } from "../common/pagination";
import { Lead } from "../leads/lead.entity";
import { refuseIfDeleted } from "../leads/lead.repository";
import { Followup } from "./followup.entity";
import { FollowupStatus } from "./followup.enums";
import type { CreateFollowupInput, UpdateFollowupInput } from "./followup.inputs";
import type { FollowupPayload } from "./followup.payload";
import type { FollowupFilter } from "./followup.query-inputs";
import { dataOf, FOLLOWUP_DATA_FIELDS, type EventData } from "../events/event-data";
import { appendEvent } from "../events/event-log";
import { EventType } from "../events/event-type";

const followupData = (followup: Followup): EventData => dataOf(followup, FOLLOWUP_DATA_FIELDS);

/** Tags followups' cursors; distinct from every `leads` ordering key, so neither query takes the other's cursors. */
const ORDER_KEY = "followups:CREATED_ON:DESC";

/** Fields of UpdateFollowupInput that are copied to the followup when given. */
const UPDATABLE = [
  "status",
  "type",
  "callDate",
  "scheduledAt",
  "summary",
  "notes",
  "callId",
  "recordingUrl",
  "durationMs",
  "phoneNumber",
  "direction",
  "disconnectionReason",
  "isRetry",
] as const satisfies ReadonlyArray<keyof UpdateFollowupInput & keyof Followup>;

/** GetBill followups: activities on a lead whose parent lead never changes. */
export class FollowupService {
  constructor(private readonly ds: DataSource) {}

  get(principal: Principal, id: string): Promise<Followup | null> {
    return selectOneOfOrg(this.ds, Followup, principal.org, id);
  }

  async list(principal: Principal, filter: FollowupFilter | null | undefined, first?: number | null, after?: string | null) {
    const size = first ?? DEFAULT_PAGE_SIZE;
    const cursor = after != null ? decodeCursor(after, ORDER_KEY) : undefined;

    const f = filter ?? {};
    const params = new SqlParams();
    const conditions = [`f.org_id = ${params.add(principal.org)}`];
    if (f.leadId != null) conditions.push(`f.lead_id = ${params.add(f.leadId)}`);
    if (f.status?.length) conditions.push(`f.status = ANY(${params.add(f.status)})`);
    if (f.type?.length) conditions.push(`f.type = ANY(${params.add(f.type)})`);
    if (f.scheduledAfter) conditions.push(`f.scheduled_at > ${params.add(f.scheduledAfter)}`);
    if (f.scheduledBefore) conditions.push(`f.scheduled_at < ${params.add(f.scheduledBefore)}`);
    const filtered = conditions.join(" AND ");
    const countParams = [...params.values];

    let where = filtered;
    if (cursor) where += ` AND (f.created_on, f.id) < (CAST(${params.add(cursor.at)} AS timestamptz), ${params.add(cursor.id)})`;
    const rows = toEntities(
      Followup,
      await this.ds.query(
        `SELECT ${selectColumns(this.ds, Followup, "f")} FROM followups f WHERE ${where} ORDER BY f.created_on DESC, f.id DESC LIMIT ${params.add(size + 1)}`,
        params.values,
      ),
    );
    const cursorOf = (row: Followup) => encodeCursor({ order: ORDER_KEY, value: formatIsoUtc(row.createdOn.getTime()), id: row.id });
    const count = async () => (await this.ds.query(`SELECT count(*)::int AS n FROM followups f WHERE ${filtered}`, countParams))[0].n as number;
    return { ...toPage(rows, size, after, cursorOf), count };
  }

  async create(principal: Principal, input: CreateFollowupInput): Promise<FollowupPayload> {
    const now = new Date();
    const followup = await this.ds.transaction(async (tx) => {
      const lead = await tx.findOne(Lead, { where: { id: input.leadId, orgId: principal.org }, select: { id: true, status: true } });
      if (!lead) throw invalidField("input.leadId", "is not a lead of this org");
      refuseIfDeleted(lead, "followups cannot be added");
      const followup = Object.assign(new Followup(), {
        id: newId("followup"),
        orgId: principal.org,
        leadId: lead.id,
        status: input.status ?? FollowupStatus.ON_HOLD,
        type: input.type,
        callDate: input.callDate ?? null,
        scheduledAt: input.scheduledAt ?? null,
        summary: input.summary ?? null,
        notes: input.notes ?? null,
        callId: input.callId ?? null,
        recordingUrl: input.recordingUrl ?? null,
        durationMs: input.durationMs ?? null,
        phoneNumber: input.phoneNumber ?? null,
        direction: input.direction ?? null,
        disconnectionReason: input.disconnectionReason ?? null,
        isRetry: input.isRetry ?? false,
        ...newVersionedRow(principal.actor, now),
      } satisfies Omit<Followup, "lead">);
      await tx.insert(Followup, followup);
      await appendEvent(tx, {
        org: principal.org,
        type: EventType.FOLLOWUP_CREATED,
        actor: principal.actor,
        occurredOn: now,
        leadId: followup.leadId,
        followupId: followup.id,
        before: null,
        after: followupData(followup),
      });
      return followup;
    });
    return { followup, warnings: [] };
  }

  async update(principal: Principal, id: string, input: UpdateFollowupInput): Promise<FollowupPayload> {
    const given = requireSomeChange(input, UPDATABLE);
    const changes: Partial<Followup> = {};
    for (const key of given) Object.assign(changes, { [key]: input[key] });
    const followup = await this.ds.transaction(async (tx) => {
      let before: EventData | undefined;
      const ref = { org: principal.org, id, expectedVersion: input.expectedVersion };
      const { row, now } = await updateVersioned(tx, Followup, ref, principal.actor, (followup) => {
        before = followupData(followup);
        return { changes };
      });
      await appendEvent(tx, {
        org: principal.org,
        type: EventType.FOLLOWUP_UPDATED,
        actor: principal.actor,
        occurredOn: now,
        leadId: row.leadId,
        followupId: row.id,
        before: before!,
        after: followupData(row),
      });
      return row;
    });
    return { followup, warnings: [] };
  }
}
