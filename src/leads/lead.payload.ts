import { Field, ObjectType } from "type-graphql";
import { Warning } from "../common/warning";
import { Lead } from "./lead.entity";

@ObjectType({ description: "The lead as written, with any warnings." })
export class LeadPayload {
  @Field(() => Lead, { description: "The lead after the write." })
  lead: Lead;

  @Field(() => [Warning], { description: "Warnings about the write; empty when there are none." })
  warnings: Warning[];
}
