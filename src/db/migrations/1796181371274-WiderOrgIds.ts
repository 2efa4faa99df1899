import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `org_id` as wide as API.md lets a token's `org` be (128 characters, like `created_by`). Widening
 * a varchar rewrites neither the tables nor their indexes.
 */
const TABLES = ["leads", "follow_up_details", "status_logs", "lead_reasons", "lead_sub_statuses", "followups", "api_keys", "idempotency_keys"];

export class WiderOrgIds1796181371274 implements MigrationInterface {
    name = 'WiderOrgIds1796181371274'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const table of TABLES) await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "org_id" TYPE character varying(128)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const table of TABLES) await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "org_id" TYPE character varying(64)`);
    }
}
