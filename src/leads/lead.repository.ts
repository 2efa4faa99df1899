import type { EntityManager } from "typeorm";
import { conflict, notFound, versionConflict } from "../common/errors";
import { Lead } from "./lead.entity";

/**
 * Every write to a lead goes through these two steps inside the write's transaction:
 * lock the row (so concurrent writers queue instead of losing updates), then update it
 * guarded by the version read, bumping `version`, `lastUpdatedOn` and `lastUpdatedBy`.
 */
export async function lockLead(tx: EntityManager, org: string, id: string, expectedVersion?: number | null): Promise<Lead> {
  const lead = await tx
    .getRepository(Lead)
    .createQueryBuilder("lead")
    .setLock("pessimistic_write")
    .where("lead.id = :id AND lead.orgId = :org", { id, org })
    .getOne();
  if (!lead) throw notFound("Lead");
  if (expectedVersion != null && expectedVersion !== lead.version) throw versionConflict(lead.version);
  return lead;
}

export type LeadChanges = Partial<Omit<Lead, "id" | "orgId" | "version" | "lastUpdatedOn" | "lastUpdatedBy" | "extendedFields" | "followUpState">>;

export interface LeadWrite {
  changes: LeadChanges;
  /** Merged into `extendedFields` by the UPDATE itself; keys whose value is null are removed. */
  extendedFields?: Record<string, unknown>;
}

export async function writeLead(tx: EntityManager, lead: Lead, write: LeadWrite, actor: string, now: Date): Promise<Lead> {
  const set: Record<string, unknown> = { ...write.changes, lastUpdatedOn: now, lastUpdatedBy: actor, version: () => "version + 1" };
  const params: Record<string, unknown> = { id: lead.id, org: lead.orgId, version: lead.version };
  if (write.extendedFields) {
    const patch: Record<string, unknown> = {};
    const removed: string[] = [];
    for (const [key, value] of Object.entries(write.extendedFields)) {
      if (value === null) removed.push(key);
      else patch[key] = value;
    }
    // Merged by the UPDATE itself: concurrent merges of different keys each apply to the row the other left.
    set.extendedFields = () => "(extended_fields || CAST(:efPatch AS jsonb)) - CAST(:efRemoved AS text[])";
    Object.assign(params, { efPatch: JSON.stringify(patch), efRemoved: removed });
  }
  const result = await tx
    .createQueryBuilder()
    .update(Lead)
    .set(set)
    .where("id = :id AND org_id = :org AND version = :version")
    .setParameters(params)
    .returning("extended_fields")
    .execute();
  if (result.affected !== 1) throw conflict("The lead was changed concurrently; retry");
  const rows = (Array.isArray(result.raw[0]) ? result.raw[0] : result.raw) as Array<{ extended_fields: Record<string, unknown> }>;
  return Object.assign(lead, write.changes, {
    extendedFields: rows[0].extended_fields,
    lastUpdatedOn: now,
    lastUpdatedBy: actor,
    version: lead.version + 1,
  });
}
