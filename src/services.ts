import type { DataSource } from "typeorm";
import { FollowupService } from "./followups/followup.service";
import { LeadFollowupsService } from "./leads/lead-followups.service";
import { LeadStatusService } from "./leads/lead-status.service";
import { LeadService } from "./leads/lead.service";

/** The services holding the rules; one set per app, shared by all requests. */
export function createServices(ds: DataSource) {
  const leadStatus = new LeadStatusService(ds);
  return {
    leads: new LeadService(ds, leadStatus),
    leadStatus,
    leadFollowups: new LeadFollowupsService(ds),
    followups: new FollowupService(ds),
  };
}

export type Services = ReturnType<typeof createServices>;
