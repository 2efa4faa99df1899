import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { selectColumns, toEntities } from "../db/raw-select";
import { StatusLog } from "../leads/status-log.entity";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.statusLogDetails`, oldest first (in the order they were written); index status_logs_lead_seq. */
export function createStatusLogsByLeadIdLoader(ds: DataSource, org: string, columns?: ReadonlySet<string>) {
  return new DataLoader<string, StatusLog[]>(async (leadIds) => {
    const rows = await ds.query(
      `SELECT ${selectColumns(ds, StatusLog, "s", columns)} FROM status_logs s
       WHERE s.org_id = $1 AND s.lead_id = ANY($2) ORDER BY s.seq ASC`,
      [org, leadIds],
    );
    return groupInKeyOrder(leadIds, toEntities(StatusLog, rows), (s) => s.leadId);
  });
}
