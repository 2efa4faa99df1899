import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { selectColumns, toEntities } from "../db/raw-select";
import { FollowUpDetail } from "../leads/follow-up-detail.entity";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.followUpDetails`, newest first: one `lead_id = ANY($2)` statement per batch (index follow_up_details_lead_seq). */
export function createFollowUpDetailsByLeadIdLoader(ds: DataSource, org: string, columns?: ReadonlySet<string>) {
  return new DataLoader<string, FollowUpDetail[]>(async (leadIds) => {
    const rows = await ds.query(
      `SELECT ${selectColumns(ds, FollowUpDetail, "d", columns)} FROM follow_up_details d
       WHERE d.org_id = $1 AND d.lead_id = ANY($2) ORDER BY d.seq DESC`,
      [org, leadIds],
    );
    return groupInKeyOrder(leadIds, toEntities(FollowUpDetail, rows), (d) => d.leadId);
  });
}
