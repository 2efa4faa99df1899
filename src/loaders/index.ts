import type DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import type { Followup } from "../followups/followup.entity";
import type { FollowupStatus } from "../followups/followup.enums";
import { createFollowUpDetailsByLeadIdLoader } from "./follow-up-details-by-lead-id.loader";
import { createFollowupsByLeadIdLoader } from "./followups-by-lead-id.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import { createStatusLogsByLeadIdLoader } from "./status-logs-by-lead-id.loader";

/** The per-request loaders, scoped to the caller's org. */
export function createLoaders(ds: DataSource, org: string) {
  const followupsByStatuses = new Map<string, DataLoader<string, Followup[]>>();
  return {
    followUpDetailsByLeadId: createFollowUpDetailsByLeadIdLoader(ds, org),
    statusLogsByLeadId: createStatusLogsByLeadIdLoader(ds, org),
    leadById: createLeadByIdLoader(ds, org),
    /** Leads asking for the same statuses share one loader, hence one statement. */
    followupsByLeadId(statuses: readonly FollowupStatus[] | null | undefined): DataLoader<string, Followup[]> {
      const normalized = statuses?.length ? [...new Set(statuses)].sort() : null;
      const key = normalized ? normalized.join(",") : "*";
      let loader = followupsByStatuses.get(key);
      if (!loader) {
        loader = createFollowupsByLeadIdLoader(ds, org, normalized);
        followupsByStatuses.set(key, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
