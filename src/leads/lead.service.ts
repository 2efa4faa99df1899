import type { DataSource } from "typeorm";
import type { Principal } from "../auth/scopes";
import { badInput, invalidField } from "../common/errors";
import { requireSomeChange } from "../common/validation";
import { formatIsoUtc } from "../common/date-time";
import { newId } from "../common/ids";
import { selectColumns, selectOneOfOrg, toEntities } from "../db/raw-select";
import { SqlParams } from "../db/sql-params";
import { newVersionedRow } from "../db/versioned-write";
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, OrderDirection, toPage } from "../common/pagination";
import type { Warning } from "../common/warning";
import { Lead } from "./lead.entity";
import { LeadStatus, LeadType } from "./lead.enums";
import type { CreateLeadInput, UpdateLeadInput } from "./lead.inputs";
import type { LeadPayload } from "./lead.payload";
import { LeadOrderField, type LeadFilter, type LeadOrder } from "./lead.query-inputs";
import { leadData, mergeExtendedFields, updateLead } from "./lead.repository";
import { appendEvent } from "../events/event-log";
import { EventType } from "../events/event-type";
import { statusLogData } from "./lead-status.service";
import { reschedule, strategiesDisabled, type Schedule } from "./follow-up-schedule";
import type { LeadStatusService } from "./lead-status.service";
import { storedName } from "./names";
import type { ServiceLimits } from "../services";

/** The columns each ordering sorts by; `id` breaks ties so that the keyset is total. */
const ORDER_COLUMNS: Record<LeadOrderField, SortColumn> = {
  [LeadOrderField.CREATED_ON]: { property: "createdOn", column: "created_on", nullable: false },
  [LeadOrderField.LAST_UPDATED_ON]: { property: "lastUpdatedOn", column: "last_updated_on", nullable: false },
  [LeadOrderField.NEXT_FOLLOW_UP]: { property: "nextFollowUp", column: "next_follow_up", nullable: true },
};

interface SortColumn {
  property: keyof Lead;
  column: string;
  nullable: boolean;
}

/**
 * What a page sorts on. A nullable column sorts as COALESCE(column, ±infinity), with the sign that
 * puts NULLs last in that direction: the order is NULLS LAST either way, the cursor one row
 * comparison, and both are served by the expression indexes leads_org_next_follow_up_asc/_desc.
 */
function sortKey(order: SortColumn, direction: OrderDirection): { expr: string; nullAs?: string } {
  if (!order.nullable) return { expr: `lead.${order.column}` };
  const nullAs = direction === OrderDirection.ASC ? "infinity" : "-infinity";
  return { expr: `COALESCE(lead.${order.column}, '${nullAs}')`, nullAs };
}

/** The filter's conditions on `leads lead`, in SQL, with their values added to `params`. */
function filterConditions(principal: Principal, filter: LeadFilter, params: SqlParams): string {
  const where = [`lead.org_id = ${params.add(principal.org)}`];
  if (filter.status?.length) where.push(`lead.status = ANY(${params.add(filter.status)})`);
  else where.push(`lead.status <> ${params.add(LeadStatus.DELETED)}`);
  if (filter.type?.length) where.push(`lead.type = ANY(${params.add(filter.type)})`);
  if (filter.subStatus != null) where.push(`lead.sub_status = ${params.add(filter.subStatus)}`);
  if (filter.owner != null) where.push(`lead.owner = ${params.add(filter.owner)}`);
  if (filter.userId != null) where.push(`lead.user_id = ${params.add(filter.userId)}`);
  if (filter.orgSourceId != null) where.push(`lead.org_source_id = ${params.add(filter.orgSourceId)}`);
  if (filter.createdAfter) where.push(`lead.created_on > ${params.add(filter.createdAfter)}`);
  if (filter.createdBefore) where.push(`lead.created_on < ${params.add(filter.createdBefore)}`);
  if (filter.updatedAfter) where.push(`lead.last_updated_on > ${params.add(filter.updatedAfter)}`);
  if (filter.updatedBefore) where.push(`lead.last_updated_on < ${params.add(filter.updatedBefore)}`);
  // The same rows as `next_follow_up < x` (a NULL is never before x), in the terms of leads_org_next_follow_up_asc.
  if (filter.nextFollowUpBefore) where.push(`COALESCE(lead.next_follow_up, 'infinity') < ${params.add(filter.nextFollowUpBefore)}`);
  return where.join(" AND ");
}

/** Fields of UpdateLeadInput that change something (`expectedVersion` alone does not). */
const UPDATABLE = [
  "extendedFields",
  "owner",
  "email",
  "timezone",
  "followUpConfig",
  "followUpStep",
  "useStrategiesForFollowUps",
] as const satisfies ReadonlyArray<keyof UpdateLeadInput>;

export class LeadService {
  constructor(
    private readonly ds: DataSource,
    private readonly statuses: LeadStatusService,
    private readonly limits: ServiceLimits,
  ) {}

  get(principal: Principal, id: string): Promise<Lead | null> {
    return selectOneOfOrg(this.ds, Lead, principal.org, id);
  }

  async list(principal: Principal, filter: LeadFilter | null | undefined, orderBy: LeadOrder | null | undefined, first?: number | null, after?: string | null) {
    const field = orderBy?.field ?? LeadOrderField.CREATED_ON;
    const direction = orderBy?.direction ?? OrderDirection.DESC;
    const order = ORDER_COLUMNS[field];
    const orderKey = `${field}:${direction}`;
    const size = first ?? DEFAULT_PAGE_SIZE;
    const cursor = after != null ? decodeCursor(after, orderKey, { nullable: order.nullable }) : undefined;

    const params = new SqlParams();
    const filtered = filterConditions(principal, filter ?? {}, params);
    const countParams = [...params.values];
    const { expr, nullAs } = sortKey(order, direction);
    const dir = direction === OrderDirection.ASC ? "ASC" : "DESC";
    let where = filtered;
    if (cursor) {
      // Rows strictly after the cursor in the ordering (NULL sort keys come last in both directions, see sortKey).
      // A Date, which pg writes with its era (year 0000 is 1 BC); PostgreSQL refuses that ISO spelling.
      const value = params.add(cursor.at ?? nullAs);
      where += ` AND (${expr}, lead.id) ${dir === "ASC" ? ">" : "<"} (CAST(${value} AS timestamptz), ${params.add(cursor.id)})`;
    }
    const raw = await this.ds.query(
      `SELECT ${selectColumns(this.ds, Lead, "lead")} FROM leads lead WHERE ${where} ORDER BY ${expr} ${dir}, lead.id ${dir} LIMIT ${params.add(size + 1)}`,
      params.values,
    );
    const rows = toEntities(Lead, raw);

    const cursorOf = (lead: Lead) => {
      const value = lead[order.property] as Date | null;
      return encodeCursor({ order: orderKey, value: value ? formatIsoUtc(value.getTime()) : null, id: lead.id });
    };
    const count = async () => (await this.ds.query(`SELECT count(*)::int AS n FROM leads lead WHERE ${filtered}`, countParams))[0].n as number;
    return { ...toPage(rows, size, after, cursorOf), count };
  }

  async create(principal: Principal, input: CreateLeadInput): Promise<LeadPayload> {
    const now = new Date();
    const status = input.status ?? LeadStatus.OPEN;
    if (status === LeadStatus.DELETED) throw invalidField("input.status", "cannot be DELETED for a new lead");
    const scheduleGiven = input.followUpConfig !== undefined || input.followUpStep !== undefined;
    if (scheduleGiven && input.nextFollowUp)
      throw invalidField("input.nextFollowUp", "is set by the follow-up schedule; give either nextFollowUp or followUpStep/followUpConfig");
    const schedule = this.scheduleOrThrow({ followUpStep: null, followUpConfig: [] }, input, now) ?? {
      followUpStep: null,
      followUpConfig: [],
      nextFollowUp: input.nextFollowUp ?? null,
    };

    const lead = Object.assign(new Lead(), {
      id: newId("lead"),
      orgId: principal.org,
      userId: input.userId ?? null,
      type: input.type ?? LeadType.SKU,
      leadFor: input.leadFor,
      status,
      subStatus: storedName(input.subStatus),
      owner: input.owner ?? null,
      email: input.email ?? null,
      timezone: input.timezone ? canonicalTimeZone(input.timezone) : null,
      extendedFields: this.extendedFieldsWithinLimit(withoutNulls(input.extendedFields ?? {})),
      lastFollowUp: null,
      ...schedule,
      useStrategiesForFollowUps: input.useStrategiesForFollowUps ?? false,
      orgSourceId: input.orgSourceId ?? null,
      ...newVersionedRow(principal.actor, now),
    } satisfies Omit<Lead, "followUpState">);

    await this.ds.transaction(async (tx) => {
      await this.statuses.assertSubStatusDefined(tx, principal.org, status, lead.subStatus, "input.subStatus");
      await tx.insert(Lead, lead);
      const log = await this.statuses.appendLog(tx, lead, {
        previousStatus: null,
        reasonId: null,
        reason: null,
        createdBy: principal.actor,
        createdOn: now,
      });
      await appendEvent(tx, {
        org: principal.org,
        type: EventType.LEAD_CREATED,
        actor: principal.actor,
        occurredOn: now,
        leadId: lead.id,
        before: null,
        after: leadData(lead),
        related: { statusLog: { field: "statusLogDetails", data: statusLogData(log) } },
      });
    });
    return { lead, warnings: strategyWarnings(lead) };
  }

  async update(principal: Principal, id: string, input: UpdateLeadInput): Promise<LeadPayload> {
    requireSomeChange(input, UPDATABLE);
    const lead = await this.ds.transaction(async (tx) => {
      const { lead } = await updateLead(tx, principal, { id, expectedVersion: input.expectedVersion, event: EventType.LEAD_UPDATED }, (lead, now) => {
        const changes: Partial<Lead> = {};
        if (input.owner !== undefined) changes.owner = input.owner;
        if (input.email !== undefined) changes.email = input.email;
        if (input.timezone !== undefined) changes.timezone = input.timezone === null ? null : canonicalTimeZone(input.timezone);
        if (input.useStrategiesForFollowUps !== undefined) changes.useStrategiesForFollowUps = input.useStrategiesForFollowUps;
        const schedule = this.scheduleOrThrow(lead, input, now);
        if (schedule) Object.assign(changes, schedule);
        return { changes, ...(input.extendedFields ? mergeExtendedFields(input.extendedFields) : {}) };
      });
      // Measured on the merged row while it is locked, so concurrent merges cannot together pass the bound.
      if (input.extendedFields) this.extendedFieldsWithinLimit(lead.extendedFields);
      return lead;
    });
    return { lead, warnings: strategyWarnings(lead) };
  }

  /** `fields`, unless their JSON text is larger than MAX_EXTENDED_FIELDS_BYTES (API.md, "Input limits"). */
  private extendedFieldsWithinLimit(fields: Record<string, unknown>): Record<string, unknown> {
    const max = this.limits.maxExtendedFieldsBytes;
    if (Buffer.byteLength(JSON.stringify(fields), "utf8") > max)
      throw invalidField("input.extendedFields", `must be at most ${max} bytes as stored JSON (after the merge)`);
    return fields;
  }

  private scheduleOrThrow(
    current: Pick<Schedule, "followUpStep" | "followUpConfig">,
    input: Pick<UpdateLeadInput, "followUpStep" | "followUpConfig">,
    now: Date,
  ): Schedule | null {
    const result = reschedule(current, input, now);
    if (result && "errors" in result) throw badInput(result.errors);
    return result;
  }
}

function strategyWarnings(lead: Lead): Warning[] {
  if (!strategiesDisabled(lead.followUpConfig, lead.useStrategiesForFollowUps)) return [];
  return [
    {
      code: "STRATEGIES_DISABLED",
      message: "Some steps have strategyIds, but useStrategiesForFollowUps is false: the strategies will not be used.",
      field: "input.useStrategiesForFollowUps",
    },
  ];
}

function withoutNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
}

/**
 * `america/new_york` → `America/New_York`; the input was validated as an IANA name already.
 * Only the case is fixed: ICU resolves current names to legacy ones (Asia/Kolkata → Asia/Calcutta),
 * and the caller's name must be stored as given.
 */
function canonicalTimeZone(name: string): string {
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}
