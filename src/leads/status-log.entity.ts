import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { SequenceColumn, TimestampColumn } from "../common/columns";
import { Lead } from "./lead.entity";
import { LeadStatus } from "./lead.enums";

@ObjectType({ simpleResolvers: true, description: "One status change of a lead, written in the same transaction as the change." })
@Entity("status_logs")
@Index("status_logs_lead_seq", ["leadId", "seq"])
export class StatusLog {
  @Field(() => ID, { description: "Opaque id, `slog_…`." })
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field(() => ID, { description: "The lead whose status changed." })
  @Column({ name: "lead_id", type: "varchar", length: 40 })
  leadId: string;

  @ManyToOne(() => Lead, { onDelete: "CASCADE" })
  @JoinColumn({ name: "lead_id" })
  lead?: Lead;

  @SequenceColumn()
  seq: string;

  @Field(() => String, { nullable: true, description: "The lead's customer at the time of the change." })
  @Column({ name: "user_id", type: "varchar", length: 128, nullable: true })
  userId: string | null;

  @Field(() => LeadStatus, { description: "The new status." })
  @Column({ type: "varchar", length: 16 })
  status: LeadStatus;

  @Field(() => String, { nullable: true, description: "The new sub-status." })
  @Column({ name: "sub_status", type: "varchar", length: 100, nullable: true })
  subStatus: string | null;

  @Field(() => LeadStatus, { nullable: true, description: "The status before the change; null for the lead's first entry." })
  @Column({ name: "previous_status", type: "varchar", length: 16, nullable: true })
  previousStatus: LeadStatus | null;

  @Field(() => ID, { nullable: true, description: "The reason given; null for the lead's first entry." })
  @Column({ name: "reason_id", type: "varchar", length: 40, nullable: true })
  reasonId: string | null;

  @Field(() => String, { nullable: true, description: "The reason's text at the time of the change." })
  @Column({ type: "varchar", length: 255, nullable: true })
  reason: string | null;

  @Field({ description: "Who made the change: the caller, or the staff id given." })
  @Column({ name: "created_by", type: "varchar", length: 128 })
  createdBy: string;

  @Field({ description: "When the change took effect (may be given by the caller, never in the future)." })
  @TimestampColumn("created_on")
  createdOn: Date;
}
