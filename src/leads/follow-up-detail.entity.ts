import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import { SequenceColumn, TimestampColumn } from "../common/columns";
import { Lead } from "./lead.entity";

@ObjectType({ simpleResolvers: true, description: "One recorded follow-up with the customer (Capillary followUpDetails), appended by `updateLeadFollowups`." })
@Entity("follow_up_details")
@Index("follow_up_details_lead_seq", ["leadId", "seq"])
export class FollowUpDetail {
  @Field(() => ID, { description: "Opaque id, `fud_…`." })
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field(() => ID, { description: "The lead followed up." })
  @Column({ name: "lead_id", type: "varchar", length: 40 })
  leadId: string;

  @ManyToOne(() => Lead, { onDelete: "CASCADE" })
  @JoinColumn({ name: "lead_id" })
  lead?: Lead;

  @SequenceColumn()
  seq: string;

  @Field(() => String, { nullable: true, description: "The lead's customer at the time of the follow-up." })
  @Column({ name: "user_id", type: "varchar", length: 128, nullable: true })
  userId: string | null;

  @Field(() => String, { nullable: true, description: "The staff member who followed up." })
  @Column({ name: "followed_up_by", type: "varchar", length: 128, nullable: true })
  followedUpBy: string | null;

  @Field({ description: "When the follow-up discussion took place." })
  @TimestampColumn("followed_up_on")
  followedUpOn: Date;

  @Field(() => Date, { nullable: true, description: "When this follow-up had been scheduled for." })
  @TimestampColumn("scheduled_follow_up", { nullable: true })
  scheduledFollowUp: Date | null;

  @Field(() => Date, { nullable: true, description: "The next follow-up agreed in this one." })
  @TimestampColumn("next_follow_up", { nullable: true })
  nextFollowUp: Date | null;

  @Field(() => String, { nullable: true, description: "Brief notes, at most 2,000 characters." })
  @Column({ type: "text", nullable: true })
  notes: string | null;

  @Field({ description: "Who recorded it: the caller, or the till/staff id given." })
  @Column({ name: "created_by", type: "varchar", length: 128 })
  createdBy: string;

  @Field({ description: "When it was recorded (may be given by the caller)." })
  @TimestampColumn("created_on")
  createdOn: Date;
}
