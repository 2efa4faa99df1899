import { Field, ObjectType } from "type-graphql";
import { Warning } from "../common/warning";
import { Followup } from "./followup.entity";

@ObjectType({ description: "The followup as written, with any warnings." })
export class FollowupPayload {
  @Field(() => Followup, { description: "The followup after the write." })
  followup: Followup;

  @Field(() => [Warning], { description: "Warnings about the write; empty when there are none." })
  warnings: Warning[];
}
