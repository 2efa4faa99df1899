import { ArgsType, Field, ID, InputType } from "type-graphql";
import { ArrayMaxSize, IsOptional, ValidateNested } from "class-validator";
import { PageArgs } from "../common/pagination";
import { FollowupStatus, FollowupType } from "./followup.enums";

@InputType({ description: "Filters for `followups`; all given filters must match." })
export class FollowupFilter {
  @Field(() => ID, { nullable: true, description: "Followups of this lead." })
  leadId?: string | null;

  @Field(() => [FollowupStatus], { nullable: true, description: "Any of these statuses." })
  @IsOptional()
  @ArrayMaxSize(11)
  status?: FollowupStatus[] | null;

  @Field(() => [FollowupType], { nullable: true, description: "Any of these types." })
  @IsOptional()
  @ArrayMaxSize(8)
  type?: FollowupType[] | null;

  @Field(() => Date, { nullable: true, description: "Scheduled strictly after this instant." })
  scheduledAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Scheduled strictly before this instant." })
  scheduledBefore?: Date | null;
}

@ArgsType()
export class FollowupsArgs extends PageArgs {
  @Field(() => FollowupFilter, { nullable: true, description: "Which followups; newest created first." })
  @IsOptional()
  @ValidateNested()
  filter?: FollowupFilter | null;
}

@ArgsType()
export class FollowupIdArgs {
  @Field(() => ID, { description: "The followup's id." })
  id: string;
}
