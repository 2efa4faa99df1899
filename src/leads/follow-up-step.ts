import { Field, Float, Int, ObjectType } from "type-graphql";
import { FollowUpChannel } from "./lead.enums";

/** One step of a lead's follow-up schedule (Apten `followUpConfig`). Stored as JSON on the lead. */
@ObjectType({ simpleResolvers: true, description: "One step of the follow-up schedule: after `hours`, reach out on `channel`." })
export class FollowUpStep {
  @Field(() => Int, { description: "Step number, 1..n." })
  step: number;

  @Field(() => Float, { description: "Hours from the moment the step is scheduled until it is due (> 0)." })
  hours: number;

  @Field(() => FollowUpChannel, { description: "How to reach out." })
  channel: FollowUpChannel;

  @Field({ description: "Leave a voicemail when the call is not answered (CALL only)." })
  voicemailEnabled: boolean;

  @Field(() => [String], {
    nullable: true,
    description: 'Strategies for this step: `["auto"]` for automatic selection, or specific strategy ids. Needs `useStrategiesForFollowUps`.',
  })
  strategyIds: string[] | null;
}
