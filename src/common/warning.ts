import { Field, ObjectType } from "type-graphql";

@ObjectType({ description: "Something the caller should know about a write that nevertheless succeeded." })
export class Warning {
  @Field({ description: "Stable code, e.g. STRATEGIES_DISABLED." })
  code: string;

  @Field({ description: "Human-readable explanation." })
  message: string;

  @Field(() => String, { nullable: true, description: "The input path it concerns, if any." })
  field: string | null;
}
