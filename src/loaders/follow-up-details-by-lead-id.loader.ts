import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { FollowUpDetail } from "../leads/follow-up-detail.entity";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.followUpDetails`, newest first: one `lead_id = ANY($1)` statement per batch. */
export function createFollowUpDetailsByLeadIdLoader(ds: DataSource, org: string) {
  return new DataLoader<string, FollowUpDetail[]>(async (leadIds) => {
    const rows = await ds
      .getRepository(FollowUpDetail)
      .createQueryBuilder("d")
      .where("d.orgId = :org AND d.leadId = ANY(:leadIds)", { org, leadIds })
      .orderBy("d.seq", "DESC")
      .getMany();
    return groupInKeyOrder(leadIds, rows, (d) => d.leadId);
  });
}
