import { Field, ID, Int, ObjectType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { Node } from "../node/node.interface";
import { TimestampColumn } from "../common/columns";
import { Lead } from "../leads/lead.entity";
import { CallDirection, FollowupStatus, FollowupType } from "./followup.enums";

@ObjectType({ implements: Node, simpleResolvers: true, description: "A follow-up activity on a lead (GetBill followup): a call, message, visit or letter, with its results." })
@Entity("followups")
@Index("followups_org_created", ["orgId", "createdOn", "id"])
@Index("followups_org_status_created", ["orgId", "status", "createdOn", "id"])
@Index("followups_org_type_created", ["orgId", "type", "createdOn", "id"])
@Index("followups_org_scheduled", ["orgId", "scheduledAt"])
@Index("followups_lead_created", ["leadId", "createdOn", "id"])
export class Followup implements Node {
  @Field(() => ID, { description: "Opaque id, `fu_…`." })
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field(() => ID, { description: "The lead this followup belongs to; it never changes." })
  @Column({ name: "lead_id", type: "varchar", length: 40, update: false })
  leadId: string;

  /** Resolved through the `Followup.lead` loader, never joined. */
  @ManyToOne(() => Lead, { onDelete: "CASCADE" })
  @JoinColumn({ name: "lead_id" })
  lead?: Lead;

  @Field(() => FollowupStatus, { description: "Where the activity stands." })
  @Column({ type: "varchar", length: 16 })
  status: FollowupStatus;

  @Field(() => FollowupType, { description: "The kind of activity." })
  @Column({ type: "varchar", length: 16 })
  type: FollowupType;

  @Field(() => Date, { nullable: true, description: "When it was carried out." })
  @TimestampColumn("call_date", { nullable: true })
  callDate: Date | null;

  @Field(() => Date, { nullable: true, description: "When it is to be carried out." })
  @TimestampColumn("scheduled_at", { nullable: true })
  scheduledAt: Date | null;

  @Field(() => String, { nullable: true, description: "Brief summary of the results." })
  @Column({ type: "text", nullable: true })
  summary: string | null;

  @Field(() => String, { nullable: true, description: "Detailed notes about what happened." })
  @Column({ type: "text", nullable: true })
  notes: string | null;

  @Field(() => String, { nullable: true, description: "The call's id at the telephony provider." })
  @Column({ name: "call_id", type: "varchar", length: 255, nullable: true })
  callId: string | null;

  @Field(() => String, { nullable: true, description: "URL of the call recording (http or https)." })
  @Column({ name: "recording_url", type: "varchar", length: 2048, nullable: true })
  recordingUrl: string | null;

  @Field(() => Int, { nullable: true, description: "Call duration in milliseconds." })
  @Column({ name: "duration_ms", type: "int", nullable: true })
  durationMs: number | null;

  @Field(() => String, { nullable: true, description: "Phone number used, E.164." })
  @Column({ name: "phone_number", type: "varchar", length: 16, nullable: true })
  phoneNumber: string | null;

  @Field(() => CallDirection, { nullable: true, description: "Who placed the call." })
  @Column({ type: "varchar", length: 8, nullable: true })
  direction: CallDirection | null;

  @Field(() => String, { nullable: true, description: "Why the call ended." })
  @Column({ name: "disconnection_reason", type: "varchar", length: 255, nullable: true })
  disconnectionReason: string | null;

  @Field({ description: "Whether this is a retry of an earlier attempt." })
  @Column({ name: "is_retry", type: "boolean", default: false })
  isRetry: boolean;

  @Field({ description: "When the followup was created." })
  @TimestampColumn("created_on")
  createdOn: Date;

  @Field({ description: "Who created the followup." })
  @Column({ name: "created_by", type: "varchar", length: 128 })
  createdBy: string;

  @Field({ description: "When the followup was last changed." })
  @TimestampColumn("last_updated_on")
  lastUpdatedOn: Date;

  @Field({ description: "Who last changed the followup." })
  @Column({ name: "last_updated_by", type: "varchar", length: 128 })
  lastUpdatedBy: string;

  @Field(() => Int, { description: "Bumped by every write; pass it back as `expectedVersion`." })
  @Column({ type: "int", default: 1 })
  version: number;
}
