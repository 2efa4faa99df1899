import { ArgsType, Field, ID, InputType, Int } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import {
  ArrayMaxSize,
  IsBoolean,
  IsDate,
  IsEmail,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Length,
  MaxLength,
  ValidateNested,
} from "class-validator";
import { IfGiven, IsIanaTimeZone, IsJsonObject, IsNotInFuture } from "../common/validators";
import { LeadStatus, LeadType } from "./lead.enums";
import { FollowUpStepInput } from "./follow-up-step.input";

const MAX_STEPS = 50;

@InputType({ description: "A new lead." })
export class CreateLeadInput {
  @Field({ description: "The item, SKU, brand or category the lead is for; 1 to 255 characters." })
  @IsString()
  @Length(1, 255)
  leadFor: string;

  @Field(() => LeadType, { nullable: true, description: "What `leadFor` names; default SKU." })
  @IfGiven()
  @IsEnum(LeadType)
  type?: LeadType;

  @Field(() => String, { nullable: true, description: "The customer the lead is for." })
  @IsOptional()
  @Length(1, 128)
  userId?: string | null;

  @Field(() => LeadStatus, { nullable: true, description: "Initial status; default OPEN. DELETED is not allowed." })
  @IfGiven()
  @IsEnum(LeadStatus)
  status?: LeadStatus;

  @Field(() => String, { nullable: true, description: "Initial sub-status; must be defined for the status." })
  @IsOptional()
  @Length(1, 100)
  subStatus?: string | null;

  @Field(() => String, { nullable: true, description: "Username of the owning associate." })
  @IsOptional()
  @Length(1, 128)
  owner?: string | null;

  @Field(() => String, { nullable: true, description: "A valid email address." })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone name, e.g. America/New_York." })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: "Initial extended fields; keys whose value is null are left out." })
  @IsOptional()
  @IsJsonObject()
  extendedFields?: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true, description: "When to follow up; not with `followUpStep`/`followUpConfig`, which set it." })
  @IsOptional()
  @IsDate()
  nextFollowUp?: Date | null;

  @Field(() => Int, { nullable: true, description: "Source of the lead within the org; -1 means in store." })
  @IsOptional()
  @IsInt()
  orgSourceId?: number | null;

  @Field(() => [FollowUpStepInput], { nullable: true, description: "The follow-up schedule; starts at step 1 unless `followUpStep` says otherwise." })
  @IfGiven()
  @ArrayMaxSize(MAX_STEPS)
  @ValidateNested({ each: true })
  followUpConfig?: FollowUpStepInput[];

  @Field(() => Int, { nullable: true, description: "Step to schedule: 1..n, -1 STOPPED, -2 LONG_TERM." })
  @IfGiven()
  @IsInt()
  followUpStep?: number;

  @Field({ nullable: true, description: "Whether steps' `strategyIds` take effect; default false." })
  @IfGiven()
  @IsBoolean()
  useStrategiesForFollowUps?: boolean;
}

@InputType({ description: "Changes to a lead (Capillary Update Lead, Apten Update lead). Give at least one field to change." })
export class UpdateLeadInput {
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: "Merged into the lead's extended fields: new keys are added, existing keys updated, a key set to null is removed.",
  })
  @IfGiven()
  @IsJsonObject()
  extendedFields?: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: "Assigns the lead to this associate; null unassigns." })
  @IsOptional()
  @Length(1, 128)
  owner?: string | null;

  @Field(() => String, { nullable: true, description: "A valid email address; null clears it." })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone name; null clears it." })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string | null;

  @Field(() => [FollowUpStepInput], {
    nullable: true,
    description: "Replaces the schedule. Steps unique and numbered 1..n. Restarts the timer, keeping the current step unless `followUpStep` is given.",
  })
  @IfGiven()
  @ArrayMaxSize(MAX_STEPS)
  @ValidateNested({ each: true })
  followUpConfig?: FollowUpStepInput[];

  @Field(() => Int, {
    nullable: true,
    description: "Schedules this step (1..n of the schedule after this update), or -1 STOPPED, -2 LONG_TERM. Restarts the timer.",
  })
  @IfGiven()
  @IsInt()
  followUpStep?: number;

  @Field({ nullable: true, description: "Whether steps' `strategyIds` take effect." })
  @IfGiven()
  @IsBoolean()
  useStrategiesForFollowUps?: boolean;

  @Field(() => Int, { nullable: true, description: "Fail with CONFLICT unless the lead is at this version." })
  @IsOptional()
  @IsInt()
  expectedVersion?: number | null;
}

@InputType({ description: "A status change (Capillary Update Lead Status); logged as a StatusLog." })
export class UpdateLeadStatusInput {
  @Field(() => LeadStatus, { description: "The new status." })
  @IsEnum(LeadStatus)
  status: LeadStatus;

  @Field(() => ID, { description: "A reason of the org (see `leadReasons`)." })
  @IsString()
  reasonId: string;

  @Field(() => String, { nullable: true, description: "A sub-status defined for the new status (see `leadSubStatuses`)." })
  @IsOptional()
  @Length(1, 100)
  subStatus?: string | null;

  @Field(() => String, { nullable: true, description: "Staff id that made the change; default the caller." })
  @IsOptional()
  @Length(1, 128)
  createdBy?: string | null;

  @Field(() => Date, { nullable: true, description: "When the change took effect; not in the future; default now." })
  @IsOptional()
  @IsDate()
  @IsNotInFuture()
  createdOn?: Date | null;

  @Field(() => Int, { nullable: true, description: "Fail with CONFLICT unless the lead is at this version." })
  @IsOptional()
  @IsInt()
  expectedVersion?: number | null;
}

@InputType({ description: "A follow-up with the customer (Capillary Update Lead Followups); appended as a FollowUpDetail." })
export class UpdateLeadFollowupsInput {
  @Field(() => Date, { description: "When the follow-up discussion took place." })
  @IsDate()
  followedUpOn: Date;

  @Field(() => String, { nullable: true, description: "Staff id who followed up." })
  @IsOptional()
  @Length(1, 128)
  followedUpBy?: string | null;

  @Field(() => String, { nullable: true, description: "Till id that recorded it; default the caller." })
  @IsOptional()
  @Length(1, 128)
  createdBy?: string | null;

  @Field(() => Date, { nullable: true, description: "When it was recorded; default now." })
  @IsOptional()
  @IsDate()
  createdOn?: Date | null;

  @Field(() => Date, { nullable: true, description: "The next follow-up; becomes the lead's `nextFollowUp`. Not before `followedUpOn`." })
  @IsOptional()
  @IsDate()
  nextFollowUp?: Date | null;

  @Field(() => Date, { nullable: true, description: "When this follow-up had been scheduled for." })
  @IsOptional()
  @IsDate()
  scheduledFollowUp?: Date | null;

  @Field(() => String, { nullable: true, description: "Brief notes, at most 2,000 characters." })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  notes?: string | null;

  @Field(() => Int, { nullable: true, description: "Fail with CONFLICT unless the lead is at this version." })
  @IsOptional()
  @IsInt()
  expectedVersion?: number | null;
}

@ArgsType()
export class CreateLeadArgs {
  @Field(() => CreateLeadInput, { description: "The lead to create." })
  @ValidateNested()
  input: CreateLeadInput;
}

@ArgsType()
export class UpdateLeadArgs {
  @Field(() => ID, { description: "The lead to change." })
  id: string;

  @Field(() => UpdateLeadInput, { description: "The changes." })
  @ValidateNested()
  input: UpdateLeadInput;
}

@ArgsType()
export class UpdateLeadStatusArgs {
  @Field(() => ID, { description: "The lead to change." })
  id: string;

  @Field(() => UpdateLeadStatusInput, { description: "The new status and why." })
  @ValidateNested()
  input: UpdateLeadStatusInput;
}

@ArgsType()
export class UpdateLeadFollowupsArgs {
  @Field(() => ID, { description: "The lead followed up." })
  id: string;

  @Field(() => UpdateLeadFollowupsInput, { description: "The follow-up to record." })
  @ValidateNested()
  input: UpdateLeadFollowupsInput;
}

@ArgsType()
export class CreateLeadReasonArgs {
  @Field({ description: "The reason's text, 1 to 255 characters, unique within the org." })
  @IsString()
  @Length(1, 255)
  reason: string;
}

@ArgsType()
export class CreateLeadSubStatusArgs {
  @Field(() => LeadStatus, { description: "The status it belongs to." })
  @IsEnum(LeadStatus)
  status: LeadStatus;

  @Field({ description: "The sub-status name, 1 to 100 characters, unique within the org and status." })
  @IsString()
  @Length(1, 100)
  subStatus: string;
}
