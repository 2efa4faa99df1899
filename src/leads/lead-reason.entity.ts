import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";

@ObjectType({ description: "A reason an org gives for status changes (`updateLeadStatus.reasonId`)." })
@Entity("lead_reasons")
@Index("lead_reasons_org_reason", ["orgId", "reason"], { unique: true })
export class LeadReason {
  @Field(() => ID, { description: "Opaque id, `rsn_…`." })
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field({ description: "The reason's text, unique within the org." })
  @Column({ type: "varchar", length: 255 })
  reason: string;
}
