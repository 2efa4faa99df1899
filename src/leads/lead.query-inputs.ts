import { ArgsType, Field, ID, InputType, Int, registerEnumType } from "type-graphql";
import { ArrayMaxSize, IsEnum, IsOptional, ValidateNested } from "class-validator";
import { OrderDirection, PageArgs } from "../common/pagination";
import { LeadStatus, LeadType } from "./lead.enums";

export enum LeadOrderField {
  CREATED_ON = "CREATED_ON",
  LAST_UPDATED_ON = "LAST_UPDATED_ON",
  NEXT_FOLLOW_UP = "NEXT_FOLLOW_UP",
}
registerEnumType(LeadOrderField, {
  name: "LeadOrderField",
  description: "What `leads` sorts by (ties broken by id).",
  valuesConfig: {
    CREATED_ON: { description: "Creation time." },
    LAST_UPDATED_ON: { description: "Time of the last change." },
    NEXT_FOLLOW_UP: { description: "The follow-up timer; leads without one come last in both directions." },
  },
});

@InputType({ description: "Filters for `leads`; all given filters must match. DELETED leads are left out unless `status` names DELETED." })
export class LeadFilter {
  @Field(() => [LeadStatus], { nullable: true, description: "Any of these statuses." })
  @IsOptional()
  @ArrayMaxSize(5)
  status?: LeadStatus[] | null;

  @Field(() => String, { nullable: true, description: "This sub-status." })
  subStatus?: string | null;

  @Field(() => String, { nullable: true, description: "Owned by this associate." })
  owner?: string | null;

  @Field(() => [LeadType], { nullable: true, description: "Any of these types." })
  @IsOptional()
  @ArrayMaxSize(4)
  type?: LeadType[] | null;

  @Field(() => String, { nullable: true, description: "For this customer." })
  userId?: string | null;

  @Field(() => Int, { nullable: true, description: "From this source (-1 in store)." })
  orgSourceId?: number | null;

  @Field(() => Date, { nullable: true, description: "Created strictly after this instant." })
  createdAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Created strictly before this instant." })
  createdBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: "Last changed strictly after this instant." })
  updatedAfter?: Date | null;

  @Field(() => Date, { nullable: true, description: "Last changed strictly before this instant." })
  updatedBefore?: Date | null;

  @Field(() => Date, { nullable: true, description: "Follow-up due strictly before this instant (leads with no timer are left out)." })
  nextFollowUpBefore?: Date | null;
}

@InputType({ description: "Ordering of `leads`; default newest created first." })
export class LeadOrder {
  @Field(() => LeadOrderField, { defaultValue: LeadOrderField.CREATED_ON, description: "Sort key; default CREATED_ON." })
  @IsEnum(LeadOrderField)
  field: LeadOrderField;

  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC, description: "Direction; default DESC." })
  @IsEnum(OrderDirection)
  direction: OrderDirection;
}

@ArgsType()
export class LeadsArgs extends PageArgs {
  @Field(() => LeadFilter, { nullable: true, description: "Which leads." })
  @IsOptional()
  @ValidateNested()
  filter?: LeadFilter | null;

  @Field(() => LeadOrder, { nullable: true, description: "In what order; default newest created first." })
  @IsOptional()
  @ValidateNested()
  orderBy?: LeadOrder | null;
}

@ArgsType()
export class LeadIdArgs {
  @Field(() => ID, { description: "The lead's id." })
  id: string;
}
