import type DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import type { DataSource } from "typeorm";
import type { Followup } from "../followups/followup.entity";
import type { FollowupStatus } from "../followups/followup.enums";
import { createFollowUpDetailsByLeadIdLoader } from "./follow-up-details-by-lead-id.loader";
import { createFollowupsByLeadIdLoader } from "./followups-by-lead-id.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import { selectedFields, type SelectedFields } from "./selected-fields";
import { createStatusLogsByLeadIdLoader } from "./status-logs-by-lead-id.loader";

/** The properties a nested list's rows need for this request (undefined: every column). */
export type Columns = (typeName: string) => ReadonlySet<string> | undefined;

/** Needed whatever the selection: grouping by lead, and `Followup.lead`. */
const ALWAYS = ["id", "leadId"];

/** The per-request loaders, scoped to the caller's org. */
export function createLoaders(ds: DataSource, org: string) {
  let selection: SelectedFields | undefined;
  const columns: Columns = (typeName) => {
    const fields = selection?.get(typeName);
    return fields && new Set([...ALWAYS, ...fields]);
  };
  const followupsByStatuses = new Map<string, DataLoader<string, Followup[]>>();
  return {
    /**
     * Lets the nested-list loaders read only the columns the operation selects (its fields on each
     * type, across the whole document, so one statement still serves every place a list appears).
     * Resolvers call it before loading; without it the loaders read every column.
     */
    useSelectionOf(info: GraphQLResolveInfo): void {
      selection ??= selectedFields(info);
    },
    followUpDetailsByLeadId: createFollowUpDetailsByLeadIdLoader(ds, org, columns),
    statusLogsByLeadId: createStatusLogsByLeadIdLoader(ds, org, columns),
    leadById: createLeadByIdLoader(ds, org),
    /** Leads asking for the same statuses share one loader, hence one statement. */
    followupsByLeadId(statuses: readonly FollowupStatus[] | null | undefined): DataLoader<string, Followup[]> {
      const normalized = statuses?.length ? [...new Set(statuses)].sort() : null;
      const key = normalized ? normalized.join(",") : "*";
      let loader = followupsByStatuses.get(key);
      if (!loader) {
        loader = createFollowupsByLeadIdLoader(ds, org, normalized, columns);
        followupsByStatuses.set(key, loader);
      }
      return loader;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
