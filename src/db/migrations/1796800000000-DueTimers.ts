import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The follow-up timers' scan (src/leads/follow-up-timers.ts): the due timers of every org, earliest
 * first, straight off an index that holds only the leads with a timer that can still fire.
 * Written by hand (TypeORM cannot describe a partial index's condition).
 */
export class DueTimers1796800000000 implements MigrationInterface {
    name = 'DueTimers1796800000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "leads_due" ON "leads" ("next_follow_up") WHERE next_follow_up IS NOT NULL AND status NOT IN ('WON', 'LOST', 'DELETED')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."leads_due"`);
    }

}
