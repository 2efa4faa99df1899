import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { Lead } from "../leads/lead.entity";

/** `Followup.lead`: the org's leads by id, null for a miss. */
export function createLeadByIdLoader(ds: DataSource, org: string) {
  return new DataLoader<string, Lead | null>(async (ids) => {
    const rows = await ds
      .getRepository(Lead)
      .createQueryBuilder("lead")
      .where("lead.orgId = :org AND lead.id = ANY(:ids)", { org, ids })
      .getMany();
    const byId = new Map(rows.map((l) => [l.id, l]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
