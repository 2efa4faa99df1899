import { ArgsType, Field, ID, InputType, Int } from "type-graphql";
import { IsBoolean, IsDate, IsEnum, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateNested } from "class-validator";
import { IfGiven, IsE164, IsHttpUrl } from "../common/validators";
import { CallDirection, FollowupStatus, FollowupType } from "./followup.enums";

const MAX_INT = 2_147_483_647;

/** The GetBill followup fields shared by create and update; each rule lives here, once. */
@InputType("FollowupFields", { description: "Fields shared by CreateFollowupInput and UpdateFollowupInput." })
abstract class FollowupFields {
  @Field(() => Date, { nullable: true, description: "When it was carried out (ISO 8601)." })
  @IsOptional()
  @IsDate()
  callDate?: Date | null;

  @Field(() => Date, { nullable: true, description: "When to carry it out (ISO 8601)." })
  @IsOptional()
  @IsDate()
  scheduledAt?: Date | null;

  @Field(() => String, { nullable: true, description: "Brief summary of the results; at most 1,000 characters." })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  summary?: string | null;

  @Field(() => String, { nullable: true, description: "Detailed notes; at most 10,000 characters." })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  notes?: string | null;

  @Field(() => String, { nullable: true, description: "The call's id at the telephony provider." })
  @IsOptional()
  @Length(1, 255)
  callId?: string | null;

  @Field(() => String, { nullable: true, description: "URL of the call recording: http or https." })
  @IsOptional()
  @IsHttpUrl()
  recordingUrl?: string | null;

  @Field(() => Int, { nullable: true, description: "Duration in milliseconds, an integer ≥ 0." })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_INT)
  durationMs?: number | null;

  @Field(() => String, { nullable: true, description: "Phone number used, in E.164 format (+14155550123)." })
  @IsOptional()
  @IsE164()
  phoneNumber?: string | null;

  @Field(() => CallDirection, { nullable: true, description: "Who placed the call." })
  @IsOptional()
  @IsEnum(CallDirection)
  direction?: CallDirection | null;

  @Field(() => String, { nullable: true, description: "Why the call ended." })
  @IsOptional()
  @Length(1, 255)
  disconnectionReason?: string | null;
}

@InputType({ description: "A new followup on a lead." })
export class CreateFollowupInput extends FollowupFields {
  @Field(() => ID, { description: "The lead, one of the caller's org." })
  leadId: string;

  @Field(() => FollowupType, { description: "The kind of activity." })
  @IsEnum(FollowupType)
  type: FollowupType;

  @Field(() => FollowupStatus, { nullable: true, description: "Initial status; default ON_HOLD." })
  @IfGiven()
  @IsEnum(FollowupStatus)
  status?: FollowupStatus;

  @Field({ nullable: true, description: "Whether this is a retry; default false." })
  @IfGiven()
  @IsBoolean()
  isRetry?: boolean;
}

@InputType({ description: "Changes to a followup: only the fields given change; null clears an optional field. The lead cannot be changed." })
export class UpdateFollowupInput extends FollowupFields {
  @Field(() => FollowupStatus, { nullable: true, description: "New status." })
  @IfGiven()
  @IsEnum(FollowupStatus)
  status?: FollowupStatus;

  @Field(() => FollowupType, { nullable: true, description: "New type." })
  @IfGiven()
  @IsEnum(FollowupType)
  type?: FollowupType;

  @Field({ nullable: true, description: "Whether this is a retry." })
  @IfGiven()
  @IsBoolean()
  isRetry?: boolean;

  @Field(() => Int, { nullable: true, description: "Fail with CONFLICT unless the followup is at this version." })
  @IsOptional()
  @IsInt()
  expectedVersion?: number | null;
}

@ArgsType()
export class CreateFollowupArgs {
  @Field(() => CreateFollowupInput, { description: "The followup to create." })
  @ValidateNested()
  input: CreateFollowupInput;
}

@ArgsType()
export class UpdateFollowupArgs {
  @Field(() => ID, { description: "The followup to change." })
  id: string;

  @Field(() => UpdateFollowupInput, { description: "The changes." })
  @ValidateNested()
  input: UpdateFollowupInput;
}
