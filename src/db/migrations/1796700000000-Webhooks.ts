import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Webhooks (API.md "Webhooks"; src/webhooks/). `webhook_dispatch` is the one fan-out position in
 * the event log (row-locked by the instance fanning out); `webhook_deliveries` one row per
 * (endpoint, event), claimed for an attempt through `lease_until`/`claim`. A delivery goes with its
 * event (retention) and with its endpoint (deletion).
 */
export class Webhooks1796700000000 implements MigrationInterface {
    name = 'Webhooks1796700000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "webhook_endpoints" (
            "id" character varying(40) NOT NULL,
            "org_id" character varying(128) NOT NULL,
            "url" character varying(2048) NOT NULL,
            "event_types" text[] NOT NULL DEFAULT '{}',
            "description" character varying(1000),
            "enabled" boolean NOT NULL DEFAULT true,
            "disabled_reason" character varying(500),
            "secret" character varying(100) NOT NULL,
            "previous_secret" character varying(100),
            "previous_secret_until" TIMESTAMP(3) WITH TIME ZONE,
            "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
            "last_success_on" TIMESTAMP(3) WITH TIME ZONE,
            "last_failure_on" TIMESTAMP(3) WITH TIME ZONE,
            "failing_since" TIMESTAMP(3) WITH TIME ZONE,
            CONSTRAINT "PK_webhook_endpoints" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "webhook_endpoints_org" ON "webhook_endpoints" ("org_id", "created_on", "id")`);
        await queryRunner.query(`CREATE TABLE "webhook_deliveries" (
            "id" character varying(40) NOT NULL,
            "org_id" character varying(128) NOT NULL,
            "endpoint_id" character varying(40) NOT NULL REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE,
            "event_id" character varying(40) NOT NULL REFERENCES "events" ("id") ON DELETE CASCADE,
            "event_type" character varying(32) NOT NULL,
            "status" character varying(16) NOT NULL DEFAULT 'PENDING',
            "attempts" integer NOT NULL DEFAULT 0,
            "failures" integer NOT NULL DEFAULT 0,
            "next_attempt_on" TIMESTAMP(3) WITH TIME ZONE,
            "lease_until" TIMESTAMP(3) WITH TIME ZONE,
            "claim" character varying(40),
            "last_response_status" integer,
            "last_error" character varying(1000),
            "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
            CONSTRAINT "PK_webhook_deliveries" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event" ON "webhook_deliveries" ("endpoint_id", "event_id")`);
        await queryRunner.query(`CREATE INDEX "webhook_deliveries_endpoint_page" ON "webhook_deliveries" ("endpoint_id", "created_on", "id")`);
        await queryRunner.query(`CREATE INDEX "webhook_deliveries_event" ON "webhook_deliveries" ("event_id")`);
        await queryRunner.query(`CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_on") WHERE "status" = 'PENDING'`);
        await queryRunner.query(`CREATE TABLE "webhook_dispatch" (
            "id" smallint NOT NULL CHECK ("id" = 1),
            "xid" xid8 NOT NULL,
            "seq" bigint NOT NULL,
            CONSTRAINT "PK_webhook_dispatch" PRIMARY KEY ("id"))`);
        // Fan-out starts at the log's present: endpoints exist only from now on.
        await queryRunner.query(`INSERT INTO "webhook_dispatch" ("id", "xid", "seq") VALUES (1, pg_snapshot_xmin(pg_current_snapshot()), 0)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "webhook_dispatch"`);
        await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
        await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
    }
}
