import type { EntityManager } from "typeorm";
import type { Principal } from "../auth/scopes";
import { failedPrecondition } from "../common/errors";
import { updateVersioned, type RowChange } from "../db/versioned-write";
import { Lead } from "./lead.entity";
import { LeadStatus } from "./lead.enums";

/** A change to one of the caller's org's leads, through the one write path (updateVersioned). */
export async function updateLead(
  tx: EntityManager,
  principal: Principal,
  id: string,
  expectedVersion: number | null | undefined,
  decide: (lead: Lead, now: Date) => RowChange<Lead> | Promise<RowChange<Lead>>,
): Promise<{ lead: Lead; now: Date }> {
  const { row, now } = await updateVersioned(tx, Lead, { org: principal.org, id, expectedVersion }, principal.actor, decide);
  return { lead: row, now };
}

/**
 * `extendedFields` merged by the UPDATE itself (keys whose value is null are removed), so that
 * concurrent merges of different keys each apply to the row the other left.
 */
export function mergeExtendedFields(fields: Record<string, unknown>): Pick<RowChange<Lead>, "computed" | "params"> {
  const patch: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) removed.push(key);
    else patch[key] = value;
  }
  return {
    computed: { extendedFields: "(extended_fields || CAST(:efPatch AS jsonb)) - CAST(:efRemoved AS text[])" },
    params: { efPatch: JSON.stringify(patch), efRemoved: removed },
  };
}

/** A DELETED lead is final: nothing more is recorded on it (FAILED_PRECONDITION, saying what was refused). */
export function refuseIfDeleted(lead: Pick<Lead, "status">, refused: string): void {
  if (lead.status === LeadStatus.DELETED) throw failedPrecondition(deletedRefusal(refused));
}

export const deletedRefusal = (refused: string) => `The lead is DELETED; ${refused}`;
