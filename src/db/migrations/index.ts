import type { MigrationInterface } from "typeorm";
import { InitialSchema1795216349379 } from "./1795216349379-InitialSchema";

/** Every migration, oldest first. A new one (`npm run migration:generate`) must be added here. */
export const migrations: Array<new () => MigrationInterface> = [InitialSchema1795216349379];
