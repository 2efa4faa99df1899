import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Keyset pages straight off an index: newest first within an owner or a customer, and the
 * NEXT_FOLLOW_UP order (NULLs last both ways) on COALESCE(next_follow_up, ±infinity), which makes
 * its cursor one row comparison that the index can range over. Generated with `migration:generate`;
 * the two expression indexes (which TypeORM cannot describe) and the down's column order were
 * written by hand, and the generator's no-op jsonb default changes were left out.
 */
export class LeadKeysetIndexes1795222466785 implements MigrationInterface {
    name = 'LeadKeysetIndexes1795222466785'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."leads_org_user"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_owner"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_next_follow_up"`);
        await queryRunner.query(`CREATE INDEX "leads_org_user_created" ON "leads"  ("org_id", "user_id", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_owner_created" ON "leads"  ("org_id", "owner", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_next_follow_up_asc" ON "leads" ("org_id", (COALESCE("next_follow_up", 'infinity'::timestamptz)), "id")`);
        await queryRunner.query(`CREATE INDEX "leads_org_next_follow_up_desc" ON "leads" ("org_id", (COALESCE("next_follow_up", '-infinity'::timestamptz)), "id")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."leads_org_next_follow_up_desc"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_next_follow_up_asc"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_owner_created"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_user_created"`);
        await queryRunner.query(`CREATE INDEX "leads_org_next_follow_up" ON "leads" ("org_id", "next_follow_up", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_owner" ON "leads" ("org_id", "owner") `);
        await queryRunner.query(`CREATE INDEX "leads_org_user" ON "leads" ("org_id", "user_id") `);
    }

}
