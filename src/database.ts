import { ApiKey } from "./auth/api-key.entity";
import { createDatabase, openDatabase, type Database, type DatabaseContents } from "./db/data-source";
import { EventsCommitted } from "./events/event-log";
import { Followup } from "./followups/followup.entity";
import { AbandonedRequestGuard } from "./http/request-timeout";
import { requestStatementCount } from "./http/sql-stats";
import { IdempotencyKey } from "./idempotency/idempotency-key.entity";
import { FollowUpDetail } from "./leads/follow-up-detail.entity";
import { Lead } from "./leads/lead.entity";
import { LeadReason } from "./leads/lead-reason.entity";
import { LeadSubStatus } from "./leads/lead-sub-status.entity";
import { StatusLog } from "./leads/status-log.entity";

/**
 * The one list of what the app keeps in its database, above both `src/db` (which knows no room)
 * and the rooms (which know no database set-up): every entity, the request timeout's guard that
 * refuses an abandoned request's next statement, the signal that a transaction appended events,
 * and where a request's statements are counted.
 */
export const APP_DATABASE: DatabaseContents = {
  entities: [Lead, FollowUpDetail, StatusLog, LeadReason, LeadSubStatus, Followup, ApiKey, IdempotencyKey],
  subscribers: [AbandonedRequestGuard, EventsCommitted],
  statementCount: requestStatementCount,
};

type DbConfig = Parameters<typeof openDatabase>[0];

export const openAppDatabase = (config: DbConfig): Promise<Database> => openDatabase(config, APP_DATABASE);
export const createAppDatabase = (config: DbConfig): Database => createDatabase(config, APP_DATABASE);
