import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { Followup } from "../followups/followup.entity";
import type { FollowupStatus } from "../followups/followup.enums";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.followups(status)`, newest created first; one loader per status filter. */
export function createFollowupsByLeadIdLoader(ds: DataSource, org: string, statuses: readonly FollowupStatus[] | null) {
  return new DataLoader<string, Followup[]>(async (leadIds) => {
    const qb = ds
      .getRepository(Followup)
      .createQueryBuilder("f")
      .where("f.orgId = :org AND f.leadId = ANY(:leadIds)", { org, leadIds });
    if (statuses) qb.andWhere("f.status = ANY(:statuses)", { statuses });
    const rows = await qb.orderBy("f.createdOn", "DESC").addOrderBy("f.id", "DESC").getMany();
    return groupInKeyOrder(leadIds, rows, (f) => f.leadId);
  });
}
