import type { DataSource, EntityManager } from "typeorm";
import type { Principal } from "../auth/scopes";
import { badInput, failedPrecondition, invalidField, type FieldErrors } from "../common/errors";
import { insertUnique } from "../db/versioned-write";
import { newId } from "../common/ids";
import { Lead } from "./lead.entity";
import { LeadStatus } from "./lead.enums";
import { LeadReason } from "./lead-reason.entity";
import { LeadSubStatus } from "./lead-sub-status.entity";
import { StatusLog } from "./status-log.entity";
import type { UpdateLeadStatusInput } from "./lead.inputs";
import type { LeadPayload } from "./lead.payload";
import { deletedRefusal, updateLead } from "./lead.repository";
import { storedName } from "./names";
import { dataOf, STATUS_LOG_DATA_FIELDS, type EventData } from "../events/event-data";
import { EventType } from "../events/event-type";

export const statusLogData = (log: StatusLog): EventData => dataOf(log, STATUS_LOG_DATA_FIELDS);

const CLOSED: ReadonlySet<LeadStatus> = new Set([LeadStatus.WON, LeadStatus.LOST]);

/**
 * Capillary's status rules: WON and LOST are closed and may only become DELETED; DELETED is
 * final; setting the status and sub-status the lead already has is a duplicate. Returns the
 * reason the change is refused, or null when it is allowed.
 */
export function statusChangeRefusal(
  from: { status: LeadStatus; subStatus: string | null },
  to: { status: LeadStatus; subStatus: string | null },
): string | null {
  if (from.status === LeadStatus.DELETED) return deletedRefusal("its status cannot change");
  if (CLOSED.has(from.status) && to.status !== LeadStatus.DELETED)
    return `The lead is closed (${from.status}); it can only become DELETED`;
  if (from.status === to.status && (from.subStatus ?? null) === (to.subStatus ?? null))
    return `Duplicate status: the lead already has this status and sub-status`;
  return null;
}

/** Status changes with their log, and the org's reasons and sub-statuses. */
export class LeadStatusService {
  constructor(private readonly ds: DataSource) {}

  async updateLeadStatus(principal: Principal, id: string, input: UpdateLeadStatusInput): Promise<LeadPayload> {
    const lead = await this.ds.transaction(async (tx) => {
      const { lead } = await updateLead(tx, principal, { id, expectedVersion: input.expectedVersion, event: EventType.LEAD_STATUS_CHANGED }, async (lead) => {
        const reason = await tx.findOneBy(LeadReason, { id: input.reasonId, orgId: principal.org });
        const subStatus = storedName(input.subStatus);
        // Both references are checked, so that one answer names every offending path.
        const fields: FieldErrors = {};
        if (!reason) fields["input.reasonId"] = ["is not a reason of this org"];
        const subStatusError = await this.subStatusError(tx, principal.org, input.status, subStatus);
        if (subStatusError) fields["input.subStatus"] = [subStatusError];
        if (!reason || subStatusError) throw badInput(fields);
        const refusal = statusChangeRefusal(lead, { status: input.status, subStatus });
        if (refusal) throw failedPrecondition(refusal);
        const previousStatus = lead.status;
        return {
          changes: { status: input.status, subStatus },
          related: async (lead, now) => {
            const log = await this.appendLog(tx, lead, {
              previousStatus,
              reasonId: input.reasonId,
              reason: reason.reason,
              createdBy: input.createdBy ?? principal.actor,
              // `now` is read once the lead is locked: queued writers' entries are stamped in the order of the log.
              createdOn: input.createdOn ?? now,
            });
            return { statusLog: { field: "statusLogDetails", data: statusLogData(log) } };
          },
        };
      });
      return lead;
    });
    return { lead, warnings: [] };
  }

  async assertSubStatusDefined(tx: EntityManager, org: string, status: LeadStatus, subStatus: string | null, path: string) {
    const error = await this.subStatusError(tx, org, status, subStatus);
    if (error) throw invalidField(path, error);
  }

  /** Why `subStatus` cannot be set with `status` in the org, or null when it can (or is null). */
  private async subStatusError(tx: EntityManager, org: string, status: LeadStatus, subStatus: string | null): Promise<string | null> {
    if (subStatus === null) return null;
    const found = await tx.existsBy(LeadSubStatus, { orgId: org, status, subStatus });
    return found ? null : `is not a sub-status defined for ${status} (see createLeadSubStatus)`;
  }

  /** Appends the lead's current status to its log, in the caller's transaction. */
  async appendLog(
    tx: EntityManager,
    lead: Lead,
    entry: Pick<StatusLog, "previousStatus" | "reasonId" | "reason" | "createdBy" | "createdOn">,
  ): Promise<StatusLog> {
    const log = Object.assign(new StatusLog(), {
      id: newId("statusLog"),
      orgId: lead.orgId,
      leadId: lead.id,
      userId: lead.userId,
      status: lead.status,
      subStatus: lead.subStatus,
      ...entry,
    });
    await tx.insert(StatusLog, log);
    return log;
  }

  /** Alphabetically, whatever the database's collation: case-insensitive, ties broken by the exact text. */
  listReasons(principal: Principal): Promise<LeadReason[]> {
    return this.ds
      .getRepository(LeadReason)
      .createQueryBuilder("r")
      .where("r.orgId = :org", { org: principal.org })
      .orderBy("LOWER(r.reason)", "ASC")
      .addOrderBy("r.reason", "ASC")
      .getMany();
  }

  listSubStatuses(principal: Principal, status?: LeadStatus | null): Promise<LeadSubStatus[]> {
    return this.ds.getRepository(LeadSubStatus).find({
      where: { orgId: principal.org, ...(status ? { status } : {}) },
      order: { status: "ASC", subStatus: "ASC" },
    });
  }

  async createReason(principal: Principal, text: string): Promise<LeadReason> {
    const reason = Object.assign(new LeadReason(), { id: newId("reason"), orgId: principal.org, reason: storedName(text) });
    if (!reason.reason) throw invalidField("reason", "must not be blank");
    // Uniqueness is the database's job (a unique index).
    await insertUnique(() => this.ds.getRepository(LeadReason).insert(reason), "This reason already exists in the org");
    return reason;
  }

  async createSubStatus(principal: Principal, status: LeadStatus, name: string): Promise<LeadSubStatus> {
    const subStatus = Object.assign(new LeadSubStatus(), { orgId: principal.org, status, subStatus: storedName(name) });
    if (!subStatus.subStatus) throw invalidField("subStatus", "must not be blank");
    await insertUnique(
      () => this.ds.getRepository(LeadSubStatus).insert(subStatus),
      `This sub-status already exists for ${status} in the org`,
    );
    return subStatus;
  }
}
