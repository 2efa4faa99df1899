import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { selectColumns, toEntities } from "../db/raw-select";
import { Followup } from "../followups/followup.entity";
import type { FollowupStatus } from "../followups/followup.enums";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.followups(status)`, newest created first; one loader per status filter (index followups_lead_created). */
export function createFollowupsByLeadIdLoader(ds: DataSource, org: string, statuses: readonly FollowupStatus[] | null, columns?: ReadonlySet<string>) {
  return new DataLoader<string, Followup[]>(async (leadIds) => {
    const rows = await ds.query(
      `SELECT ${selectColumns(ds, Followup, "f", columns)} FROM followups f
       WHERE f.org_id = $1 AND f.lead_id = ANY($2)${statuses ? " AND f.status = ANY($3)" : ""}
       ORDER BY f.created_on DESC, f.id DESC`,
      statuses ? [org, leadIds, statuses] : [org, leadIds],
    );
    return groupInKeyOrder(leadIds, toEntities(Followup, rows), (f) => f.leadId);
  });
}
