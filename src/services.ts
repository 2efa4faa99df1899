import type { DataSource } from "typeorm";
import { EventService } from "./events/event.service";
import { EventStream } from "./events/event-stream";
import { FollowupService } from "./followups/followup.service";
import { LeadFollowupsService } from "./leads/lead-followups.service";
import { LeadStatusService } from "./leads/lead-status.service";
import { LeadService } from "./leads/lead.service";
import { WebhookService } from "./webhooks/webhook.service";
import { systemLookup, type TargetRules } from "./webhooks/webhook-target";

/** The limits the services enforce (from AppConfig). */
export interface ServiceLimits {
  maxExtendedFieldsBytes: number;
  /** How often the live event stream reads the log besides when woken. */
  eventsPollMs: number;
  webhookMaxEndpoints: number;
}

/** The services holding the rules; one set per app, shared by all requests. */
export function createServices(ds: DataSource, limits: ServiceLimits, webhookTargets: TargetRules = { httpsOnly: true, allowPrivate: false, lookup: systemLookup }) {
  const leadStatus = new LeadStatusService(ds);
  return {
    leads: new LeadService(ds, leadStatus, limits),
    leadStatus,
    leadFollowups: new LeadFollowupsService(ds),
    followups: new FollowupService(ds),
    events: new EventService(ds, new EventStream(ds, limits.eventsPollMs)),
    webhooks: new WebhookService(ds, { maxEndpoints: limits.webhookMaxEndpoints, target: webhookTargets }),
  };
}

export type Services = ReturnType<typeof createServices>;
