import { Field, Float, InputType, Int } from "type-graphql";
import { ArrayMaxSize, IsBoolean, IsEnum, IsInt, IsNumber, Max, MaxLength, Min, IsOptional } from "class-validator";
import { customRule } from "../common/validators";
import { FollowUpChannel } from "./lead.enums";

export const AUTO_STRATEGY = "auto";
/** Upper bound for `hours`, ten years: keeps `now + hours` a valid date. */
export const MAX_STEP_HOURS = 87_600;

const VoicemailOnlyWithCall = customRule("voicemailOnlyWithCall", "can be true only with channel CALL", (value, object) =>
  value !== true || (object as FollowUpStepInput).channel === FollowUpChannel.CALL,
);

const IsStrategyIds = customRule(
  "isStrategyIds",
  'must be ["auto"] or a non-empty list of strategy ids without "auto"',
  (value) =>
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((id) => typeof id === "string" && id.trim().length > 0) &&
    (value.length === 1 || !value.includes(AUTO_STRATEGY)),
);

@InputType({ description: "One step of a follow-up schedule. Steps must be numbered 1..n without gaps or repeats." })
export class FollowUpStepInput {
  @Field(() => Int, { description: "Step number, 1..n." })
  @IsInt() // 1..n and unique: validateStepNumbers (follow-up-schedule.ts), which sees the whole list
  step: number;

  @Field(() => Float, { description: "Hours from scheduling until the step is due; more than 0." })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE, { message: "hours must be greater than 0" })
  @Max(MAX_STEP_HOURS)
  hours: number;

  @Field(() => FollowUpChannel, { description: "How to reach out." })
  @IsEnum(FollowUpChannel)
  channel: FollowUpChannel;

  @Field(() => Boolean, { nullable: true, description: "Leave a voicemail when the call is not answered. Only with channel CALL; default false." })
  @IsOptional()
  @IsBoolean()
  @VoicemailOnlyWithCall()
  voicemailEnabled?: boolean | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Strategies: `["auto"]` for automatic selection, or a non-empty list of strategy ids without "auto".',
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @MaxLength(100, { each: true })
  @IsStrategyIds()
  strategyIds?: string[] | null;
}
