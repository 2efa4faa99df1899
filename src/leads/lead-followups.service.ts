import type { DataSource } from "typeorm";
import type { Principal } from "../auth/scopes";
import { failedPrecondition, invalidField } from "../common/errors";
import { newId } from "../common/ids";
import { FollowUpDetail } from "./follow-up-detail.entity";
import { LeadStatus } from "./lead.enums";
import type { UpdateLeadFollowupsInput } from "./lead.inputs";
import type { LeadPayload } from "./lead.payload";
import { lockLead, writeLead, type LeadChanges } from "./lead.repository";

/** Capillary "Update Lead Followups": record a follow-up with the customer on the lead. */
export class LeadFollowupsService {
  constructor(private readonly ds: DataSource) {}

  async updateLeadFollowups(principal: Principal, id: string, input: UpdateLeadFollowupsInput): Promise<LeadPayload> {
    if (input.nextFollowUp && input.nextFollowUp < input.followedUpOn)
      throw invalidField("input.nextFollowUp", "must not be before followedUpOn");
    const lead = await this.ds.transaction(async (tx) => {
      const lead = await lockLead(tx, principal.org, id, input.expectedVersion);
      // Read the clock once the row is ours: writers queued on the lock then stamp lastUpdatedOn
      // and the detail's default createdOn in the order the details are written.
      const now = new Date();
      if (lead.status === LeadStatus.DELETED) throw failedPrecondition("The lead is DELETED; follow-ups cannot be recorded");

      await tx.insert(FollowUpDetail, {
        id: newId("followUpDetail"),
        orgId: lead.orgId,
        leadId: lead.id,
        userId: lead.userId,
        followedUpBy: input.followedUpBy ?? null,
        followedUpOn: input.followedUpOn,
        scheduledFollowUp: input.scheduledFollowUp ?? null,
        nextFollowUp: input.nextFollowUp ?? null,
        notes: input.notes ?? null,
        createdBy: input.createdBy ?? principal.actor,
        createdOn: input.createdOn ?? now,
      });

      const changes: LeadChanges = {};
      // The latest follow-up seen wins, whatever order they are recorded in.
      if (!lead.lastFollowUp || input.followedUpOn > lead.lastFollowUp) changes.lastFollowUp = input.followedUpOn;
      if (input.nextFollowUp) changes.nextFollowUp = input.nextFollowUp;
      return writeLead(tx, lead, { changes }, principal.actor, now);
    });
    return { lead, warnings: [] };
  }
}
