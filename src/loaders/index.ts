import type DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import type { Followup } from "../followups/followup.entity";
import type { FollowupStatus } from "../followups/followup.enums";
import type { FollowUpDetail } from "../leads/follow-up-detail.entity";
import type { StatusLog } from "../leads/status-log.entity";
import { createFollowUpDetailsByLeadIdLoader } from "./follow-up-details-by-lead-id.loader";
import { createFollowupsByLeadIdLoader } from "./followups-by-lead-id.loader";
import { createLeadByIdLoader } from "./lead-by-id.loader";
import type { Selection } from "./selected-fields";
import { createStatusLogsByLeadIdLoader } from "./status-logs-by-lead-id.loader";

/**
 * The per-request loaders, scoped to the caller's org. A nested list's loader reads only the
 * columns its selection asks for (`selectionOf`), so each selection has a loader of its own: the
 * places asking the same share one statement, and no place gets rows without its columns (the
 * operations of a batched request share these loaders). Without a selection, every column.
 */
export function createLoaders(ds: DataSource, org: string) {
  const memo = new Map<string, DataLoader<string, unknown>>();
  const shared = <V>(key: string, create: () => DataLoader<string, V>): DataLoader<string, V> => {
    let loader = memo.get(key) as DataLoader<string, V> | undefined;
    if (!loader) memo.set(key, (loader = create()));
    return loader;
  };
  return {
    followUpDetailsByLeadId(selection?: Selection): DataLoader<string, FollowUpDetail[]> {
      return shared(`details:${selection?.key ?? "*"}`, () => createFollowUpDetailsByLeadIdLoader(ds, org, selection?.fields));
    },
    statusLogsByLeadId(selection?: Selection): DataLoader<string, StatusLog[]> {
      return shared(`logs:${selection?.key ?? "*"}`, () => createStatusLogsByLeadIdLoader(ds, org, selection?.fields));
    },
    /** Leads asking for the same statuses (in any order) and fields share one loader, hence one statement. */
    followupsByLeadId(statuses: readonly FollowupStatus[] | null | undefined, selection?: Selection): DataLoader<string, Followup[]> {
      const normalized = statuses?.length ? [...new Set(statuses)].sort() : null;
      return shared(`followups:${normalized?.join(",") ?? "*"}:${selection?.key ?? "*"}`, () =>
        createFollowupsByLeadIdLoader(ds, org, normalized, selection?.fields),
      );
    },
    leadById: createLeadByIdLoader(ds, org),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
