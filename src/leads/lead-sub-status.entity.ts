import { Field, ObjectType } from "type-graphql";
import { Entity, PrimaryColumn } from "typeorm";
import { LeadStatus } from "./lead.enums";

@ObjectType({ description: "A sub-status an org defined for a status; only these may be set with that status." })
@Entity("lead_sub_statuses")
export class LeadSubStatus {
  @PrimaryColumn({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field(() => LeadStatus, { description: "The status it belongs to." })
  @PrimaryColumn({ type: "varchar", length: 16 })
  status: LeadStatus;

  @Field({ description: "The sub-status name, unique within the org and status." })
  @PrimaryColumn({ name: "sub_status", type: "varchar", length: 100 })
  subStatus: string;
}
