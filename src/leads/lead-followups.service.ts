import type { DataSource } from "typeorm";
import type { Principal } from "../auth/scopes";
import { invalidField } from "../common/errors";
import { newId } from "../common/ids";
import { FollowUpDetail } from "./follow-up-detail.entity";
import type { Lead } from "./lead.entity";
import type { UpdateLeadFollowupsInput } from "./lead.inputs";
import type { LeadPayload } from "./lead.payload";
import { refuseIfDeleted, updateLead } from "./lead.repository";
import { dataOf, FOLLOW_UP_DETAIL_DATA_FIELDS } from "../events/event-data";
import { EventType } from "../events/event-type";

/** Capillary "Update Lead Followups": record a follow-up with the customer on the lead. */
export class LeadFollowupsService {
  constructor(private readonly ds: DataSource) {}

  async updateLeadFollowups(principal: Principal, id: string, input: UpdateLeadFollowupsInput): Promise<LeadPayload> {
    if (input.nextFollowUp && input.nextFollowUp < input.followedUpOn)
      throw invalidField("input.nextFollowUp", "must not be before followedUpOn");
    const lead = await this.ds.transaction(async (tx) => {
      const event = EventType.LEAD_FOLLOW_UP_RECORDED;
      const { lead } = await updateLead(tx, principal, { id, expectedVersion: input.expectedVersion, event }, async (lead, now) => {
        refuseIfDeleted(lead, "follow-ups cannot be recorded");
        const detail = Object.assign(new FollowUpDetail(), {
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
          // `now` is read once the lead is locked: queued writers' details are stamped in the order they are written.
          createdOn: input.createdOn ?? now,
        });
        await tx.insert(FollowUpDetail, detail);
        const changes: Partial<Lead> = {};
        // The latest follow-up seen wins, whatever order they are recorded in.
        if (!lead.lastFollowUp || input.followedUpOn > lead.lastFollowUp) changes.lastFollowUp = input.followedUpOn;
        if (input.nextFollowUp) changes.nextFollowUp = input.nextFollowUp;
        return {
          changes,
          related: async () => ({ followUpDetail: { field: "followUpDetails", data: dataOf(detail, FOLLOW_UP_DETAIL_DATA_FIELDS) } }),
        };
      });
      return lead;
    });
    return { lead, warnings: [] };
  }
}
