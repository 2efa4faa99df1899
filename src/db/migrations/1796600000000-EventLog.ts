import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The change-event log (API.md "Change events"; src/events/). Its cursor order is `(xid, seq)`:
 * `xid` is the writing transaction's id (assigned at its first write, before the event's), `seq`
 * numbers the events in insertion order. Readers read only below the oldest transaction still in
 * flight (src/events/event-feed.ts), so none ever skips an event that commits late.
 * `event_log_watermark` holds the newest position retention has deleted: a cursor at or before it
 * may have missed events (CURSOR_EXPIRED).
 */
export class EventLog1796600000000 implements MigrationInterface {
    name = 'EventLog1796600000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "events" (
            "id" character varying(40) NOT NULL,
            "seq" bigint GENERATED ALWAYS AS IDENTITY,
            "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
            "org_id" character varying(128) NOT NULL,
            "type" character varying(32) NOT NULL,
            "occurred_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL,
            "actor" character varying(128) NOT NULL,
            "lead_id" character varying(40) NOT NULL,
            "followup_id" character varying(40),
            "changed_fields" text[] NOT NULL,
            "data" jsonb NOT NULL,
            CONSTRAINT "PK_events" PRIMARY KEY ("id"))`);
        // Every org's log in cursor order (the live tail), one org's, one lead's; retention by age.
        await queryRunner.query(`CREATE UNIQUE INDEX "events_position" ON "events" ("xid", "seq")`);
        await queryRunner.query(`CREATE INDEX "events_org_position" ON "events" ("org_id", "xid", "seq")`);
        await queryRunner.query(`CREATE INDEX "events_org_lead_position" ON "events" ("org_id", "lead_id", "xid", "seq")`);
        await queryRunner.query(`CREATE INDEX "events_occurred_on" ON "events" ("occurred_on")`);
        await queryRunner.query(`CREATE TABLE "event_log_watermark" (
            "id" smallint NOT NULL CHECK ("id" = 1),
            "xid" xid8 NOT NULL,
            "seq" bigint NOT NULL,
            CONSTRAINT "PK_event_log_watermark" PRIMARY KEY ("id"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "event_log_watermark"`);
        await queryRunner.query(`DROP TABLE "events"`);
    }
}
