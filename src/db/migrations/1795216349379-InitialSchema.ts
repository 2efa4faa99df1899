import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795216349379 implements MigrationInterface {
    name = 'InitialSchema1795216349379'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "leads" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "user_id" character varying(128), "type" character varying(16) NOT NULL, "lead_for" character varying(255) NOT NULL, "status" character varying(16) NOT NULL, "sub_status" character varying(100), "owner" character varying(128), "email" character varying(254), "timezone" character varying(64), "extended_fields" jsonb NOT NULL DEFAULT '{}'::jsonb, "next_follow_up" TIMESTAMP(3) WITH TIME ZONE, "last_follow_up" TIMESTAMP(3) WITH TIME ZONE, "follow_up_step" integer, "follow_up_config" jsonb NOT NULL DEFAULT '[]'::jsonb, "use_strategies_for_follow_ups" boolean NOT NULL DEFAULT false, "org_source_id" integer, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_by" character varying(128) NOT NULL, "last_updated_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_updated_by" character varying(128) NOT NULL, "version" integer NOT NULL DEFAULT '1', CONSTRAINT "PK_cd102ed7a9a4ca7d4d8bfeba406" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "leads_org_source" ON "leads"  ("org_id", "org_source_id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_sub_status" ON "leads"  ("org_id", "sub_status") `);
        await queryRunner.query(`CREATE INDEX "leads_org_type" ON "leads"  ("org_id", "type") `);
        await queryRunner.query(`CREATE INDEX "leads_org_user" ON "leads"  ("org_id", "user_id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_owner" ON "leads"  ("org_id", "owner") `);
        await queryRunner.query(`CREATE INDEX "leads_org_status_created" ON "leads"  ("org_id", "status", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_next_follow_up" ON "leads"  ("org_id", "next_follow_up", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_updated" ON "leads"  ("org_id", "last_updated_on", "id") `);
        await queryRunner.query(`CREATE INDEX "leads_org_created" ON "leads"  ("org_id", "created_on", "id") `);
        await queryRunner.query(`CREATE TABLE "follow_up_details" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "lead_id" character varying(40) NOT NULL, "seq" BIGSERIAL NOT NULL, "user_id" character varying(128), "followed_up_by" character varying(128), "followed_up_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "scheduled_follow_up" TIMESTAMP(3) WITH TIME ZONE, "next_follow_up" TIMESTAMP(3) WITH TIME ZONE, "notes" text, "created_by" character varying(128) NOT NULL, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_10f4fe559efcb766e8c71f967f4" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "follow_up_details_lead_seq" ON "follow_up_details"  ("lead_id", "seq") `);
        await queryRunner.query(`CREATE TABLE "status_logs" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "lead_id" character varying(40) NOT NULL, "seq" BIGSERIAL NOT NULL, "user_id" character varying(128), "status" character varying(16) NOT NULL, "sub_status" character varying(100), "previous_status" character varying(16), "reason_id" character varying(40), "reason" character varying(255), "created_by" character varying(128) NOT NULL, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_0eda9a7966d0e4cc54181c8d47b" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "status_logs_lead_seq" ON "status_logs"  ("lead_id", "seq") `);
        await queryRunner.query(`CREATE TABLE "lead_reasons" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "reason" character varying(255) NOT NULL, CONSTRAINT "PK_965d75f7f6e87df3160ad7a2270" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "lead_reasons_org_reason" ON "lead_reasons"  ("org_id", "reason") `);
        await queryRunner.query(`CREATE TABLE "lead_sub_statuses" ("org_id" character varying(64) NOT NULL, "status" character varying(16) NOT NULL, "sub_status" character varying(100) NOT NULL, CONSTRAINT "PK_639f53d030272b177ec67010a48" PRIMARY KEY ("org_id", "status", "sub_status"))`);
        await queryRunner.query(`CREATE TABLE "followups" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "lead_id" character varying(40) NOT NULL, "status" character varying(16) NOT NULL, "type" character varying(16) NOT NULL, "call_date" TIMESTAMP(3) WITH TIME ZONE, "scheduled_at" TIMESTAMP(3) WITH TIME ZONE, "summary" text, "notes" text, "call_id" character varying(255), "recording_url" character varying(2048), "duration_ms" integer, "phone_number" character varying(16), "direction" character varying(8), "disconnection_reason" character varying(255), "is_retry" boolean NOT NULL DEFAULT false, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "created_by" character varying(128) NOT NULL, "last_updated_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_updated_by" character varying(128) NOT NULL, "version" integer NOT NULL DEFAULT '1', CONSTRAINT "PK_c785b2c7a30e47dbe4a994748b3" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "followups_lead_created" ON "followups"  ("lead_id", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "followups_org_scheduled" ON "followups"  ("org_id", "scheduled_at") `);
        await queryRunner.query(`CREATE INDEX "followups_org_type_created" ON "followups"  ("org_id", "type", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "followups_org_status_created" ON "followups"  ("org_id", "status", "created_on", "id") `);
        await queryRunner.query(`CREATE INDEX "followups_org_created" ON "followups"  ("org_id", "created_on", "id") `);
        await queryRunner.query(`ALTER TABLE "follow_up_details" ADD CONSTRAINT "FK_edf0b79c58f3c161da09de2f8c3" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "status_logs" ADD CONSTRAINT "FK_0522f361d07d7c237d492bdb812" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "followups" ADD CONSTRAINT "FK_0ffb455f09596fc1c9e676be770" FOREIGN KEY ("lead_id") REFERENCES "leads"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "followups" DROP CONSTRAINT "FK_0ffb455f09596fc1c9e676be770"`);
        await queryRunner.query(`ALTER TABLE "status_logs" DROP CONSTRAINT "FK_0522f361d07d7c237d492bdb812"`);
        await queryRunner.query(`ALTER TABLE "follow_up_details" DROP CONSTRAINT "FK_edf0b79c58f3c161da09de2f8c3"`);
        await queryRunner.query(`DROP INDEX "public"."followups_org_created"`);
        await queryRunner.query(`DROP INDEX "public"."followups_org_status_created"`);
        await queryRunner.query(`DROP INDEX "public"."followups_org_type_created"`);
        await queryRunner.query(`DROP INDEX "public"."followups_org_scheduled"`);
        await queryRunner.query(`DROP INDEX "public"."followups_lead_created"`);
        await queryRunner.query(`DROP TABLE "followups"`);
        await queryRunner.query(`DROP TABLE "lead_sub_statuses"`);
        await queryRunner.query(`DROP INDEX "public"."lead_reasons_org_reason"`);
        await queryRunner.query(`DROP TABLE "lead_reasons"`);
        await queryRunner.query(`DROP INDEX "public"."status_logs_lead_seq"`);
        await queryRunner.query(`DROP TABLE "status_logs"`);
        await queryRunner.query(`DROP INDEX "public"."follow_up_details_lead_seq"`);
        await queryRunner.query(`DROP TABLE "follow_up_details"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_created"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_updated"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_next_follow_up"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_status_created"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_owner"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_user"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_type"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_sub_status"`);
        await queryRunner.query(`DROP INDEX "public"."leads_org_source"`);
        await queryRunner.query(`DROP TABLE "leads"`);
    }

}
