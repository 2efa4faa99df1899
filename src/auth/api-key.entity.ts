import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { TimestampColumn } from "../common/columns";

/**
 * A partner's API key. Only a SHA-256 hash of the key is stored; the key itself is shown once,
 * when it is created. Internal: never exposed in the schema.
 */
@Entity("api_keys")
@Index("api_keys_key_hash", ["keyHash"], { unique: true })
// A name identifies an active key within its org (it is the actor, `apikey:<name>`); a revoked key frees its name.
@Index("api_keys_org_name_active", ["orgId", "name"], { unique: true, where: `"revoked_on" IS NULL` })
export class ApiKey {
  /** Opaque id, `key_…`: what `list` shows and `revoke` takes. */
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Column({ type: "varchar", length: 64 })
  name: string;

  @Column({ type: "varchar", length: 32, array: true })
  scopes: string[];

  /** The key's first characters (`lgk_` and 8 more): enough to recognise it, useless to an attacker. */
  @Column({ type: "varchar", length: 16 })
  prefix: string;

  /** Hex SHA-256 of the whole key. */
  @Column({ name: "key_hash", type: "char", length: 64 })
  keyHash: string;

  @TimestampColumn("created_on")
  createdOn: Date;

  @TimestampColumn("revoked_on", { nullable: true })
  revokedOn: Date | null;

  /** Written at most once a minute per key (see ApiKeyService), so it may lag by that much. */
  @TimestampColumn("last_used_on", { nullable: true })
  lastUsedOn: Date | null;
}
