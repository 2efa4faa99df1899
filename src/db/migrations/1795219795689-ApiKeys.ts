import { MigrationInterface, QueryRunner } from "typeorm";

/** Partner API keys (src/auth/api-key.entity.ts). */
export class ApiKeys1795219795689 implements MigrationInterface {
    name = 'ApiKeys1795219795689'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "api_keys" ("id" character varying(40) NOT NULL, "org_id" character varying(64) NOT NULL, "name" character varying(64) NOT NULL, "scopes" character varying(32) array NOT NULL, "prefix" character varying(16) NOT NULL, "key_hash" character(64) NOT NULL, "created_on" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "revoked_on" TIMESTAMP(3) WITH TIME ZONE, "last_used_on" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_org_name_active" ON "api_keys"  ("org_id", "name") WHERE "revoked_on" IS NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "api_keys_key_hash" ON "api_keys"  ("key_hash") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."api_keys_key_hash"`);
        await queryRunner.query(`DROP INDEX "public"."api_keys_org_name_active"`);
        await queryRunner.query(`DROP TABLE "api_keys"`);
    }

}
