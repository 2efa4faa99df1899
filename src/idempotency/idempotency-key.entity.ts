import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { TimestampColumn } from "../common/columns";

/**
 * One `Idempotency-Key` a principal (org + actor) sent with a mutation, and the first response to
 * it. Internal: never exposed in the schema. See idempotency.plugin.ts.
 */
@Entity("idempotency_keys")
@Index("idempotency_keys_created_on", ["createdOn"])
export class IdempotencyKey {
  @PrimaryColumn({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @PrimaryColumn({ type: "varchar", length: 255 })
  actor: string;

  @PrimaryColumn({ type: "varchar", length: 255 })
  key: string;

  /** SHA-256 (hex) of the operation: its document, operation name and variables. */
  @Column({ name: "request_hash", type: "varchar", length: 64 })
  requestHash: string;

  /** Who holds the claim to run it; the fence (idempotency.fence.ts) refuses to commit for anyone else. */
  @Column({ type: "varchar", length: 64 })
  token: string;

  /** A transaction of the request committed: it must never run again. */
  @Column({ type: "boolean", default: false })
  executed: boolean;

  /** The first response (HTTP status and JSON body); null while the request runs. */
  @Column({ name: "response_status", type: "integer", nullable: true })
  responseStatus: number | null;

  @Column({ name: "response_body", type: "text", nullable: true })
  responseBody: string | null;

  /** The key is kept IDEMPOTENCY_TTL_HOURS from here. */
  @TimestampColumn("created_on")
  createdOn: Date;

  /** When the current claim was taken; a claim older than the lease is taken to be abandoned. */
  @TimestampColumn("claimed_on")
  claimedOn: Date;
}
