import { MigrationInterface, QueryRunner } from "typeorm";

export class IdempotencyKeys1795219872313 implements MigrationInterface {
    name = 'IdempotencyKeys1795219872313'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "idempotency_keys" ("org_id" character varying(64) NOT NULL, "actor" character varying(255) NOT NULL, "key" character varying(255) NOT NULL, "request_hash" character varying(64) NOT NULL, "token" character varying(64) NOT NULL, "executed" boolean NOT NULL DEFAULT false, "response_status" integer, "response_body" text, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "claimed_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d9f1ba39ce00376de7af2dfc0a9" PRIMARY KEY ("org_id", "actor", "key"))`);
        await queryRunner.query(`CREATE INDEX "idempotency_keys_created_on" ON "idempotency_keys"  ("created_on") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."idempotency_keys_created_on"`);
        await queryRunner.query(`DROP TABLE "idempotency_keys"`);
    }

}
