import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { selectColumns, toEntities } from "../db/raw-select";
import { Lead } from "../leads/lead.entity";

/** `Followup.lead`: the org's leads by id, null for a miss. */
export function createLeadByIdLoader(ds: DataSource, org: string) {
  return new DataLoader<string, Lead | null>(async (ids) => {
    const rows = await ds.query(`SELECT ${selectColumns(ds, Lead, "l")} FROM leads l WHERE l.org_id = $1 AND l.id = ANY($2)`, [org, ids]);
    const byId = new Map(toEntities(Lead, rows).map((l) => [l.id, l]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
