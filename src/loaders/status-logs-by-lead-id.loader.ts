import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { StatusLog } from "../leads/status-log.entity";
import { groupInKeyOrder } from "./group-by-key";

/** `Lead.statusLogDetails`, oldest first (in the order they were written). */
export function createStatusLogsByLeadIdLoader(ds: DataSource, org: string) {
  return new DataLoader<string, StatusLog[]>(async (leadIds) => {
    const rows = await ds
      .getRepository(StatusLog)
      .createQueryBuilder("s")
      .where("s.orgId = :org AND s.leadId = ANY(:leadIds)", { org, leadIds })
      .orderBy("s.seq", "ASC")
      .getMany();
    return groupInKeyOrder(leadIds, rows, (s) => s.leadId);
  });
}
