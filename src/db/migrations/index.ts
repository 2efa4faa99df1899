import type { MigrationInterface } from "typeorm";
import { InitialSchema1795216349379 } from "./1795216349379-InitialSchema";
import { ApiKeys1795219795689 } from "./1795219795689-ApiKeys";
import { IdempotencyKeys1795219872313 } from "./1795219872313-IdempotencyKeys";
import { LeadKeysetIndexes1795222466785 } from "./1795222466785-LeadKeysetIndexes";
import { WiderOrgIds1796181371274 } from "./1796181371274-WiderOrgIds";
import { EventLog1796600000000 } from "./1796600000000-EventLog";
import { Webhooks1796700000000 } from "./1796700000000-Webhooks";
import { DueTimers1796800000000 } from "./1796800000000-DueTimers";

/** Every migration, oldest first. A new one (`npm run migration:generate`) must be added here. */
export const migrations: Array<new () => MigrationInterface> = [
  InitialSchema1795216349379,
  ApiKeys1795219795689,
  IdempotencyKeys1795219872313,
  LeadKeysetIndexes1795222466785,
  WiderOrgIds1796181371274,
  EventLog1796600000000,
  Webhooks1796700000000,
  DueTimers1796800000000,
];
