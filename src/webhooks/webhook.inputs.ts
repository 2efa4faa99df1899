import { ArgsType, Field, ID, InputType } from "type-graphql";
import { ArrayMaxSize, IsBoolean, IsEnum, IsOptional, IsString, MaxLength, ValidateNested } from "class-validator";
import { PageArgs } from "../common/pagination";
import { IfGiven } from "../common/validators";
import { EventType } from "../events/event-type";

// The URL's own rules (scheme, public address) are the service's: they depend on the environment and on DNS.
@InputType({ description: "A new webhook endpoint." })
export class CreateWebhookEndpointInput {
  @Field({ description: "Where to POST deliveries: https (http too outside production); its host must be a public address." })
  @IsString()
  @MaxLength(2048)
  url: string;

  @Field(() => [EventType], { nullable: true, description: "The event types to deliver; null or empty: every type." })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(EventType, { each: true })
  eventTypes?: EventType[] | null;

  @Field(() => String, { nullable: true, description: "A note for the org's people; at most 1,000 characters." })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;
}

@InputType({ description: "Changes to a webhook endpoint: only the fields given change." })
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true, description: "A new URL, checked as at creation." })
  @IfGiven()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @Field(() => [EventType], { nullable: true, description: "The event types to deliver; null or empty: every type." })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsEnum(EventType, { each: true })
  eventTypes?: EventType[] | null;

  @Field(() => String, { nullable: true, description: "A new note; null clears it." })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: "false stops deliveries; true resumes them (and clears `disabledReason`), including after an automatic disabling." })
  @IfGiven()
  @IsBoolean()
  enabled?: boolean;
}

@ArgsType()
export class CreateWebhookEndpointArgs {
  @Field(() => CreateWebhookEndpointInput, { description: "The endpoint to create." })
  @ValidateNested()
  input: CreateWebhookEndpointInput;
}

@ArgsType()
export class UpdateWebhookEndpointArgs {
  @Field(() => ID, { description: "The endpoint to change." })
  id: string;

  @Field(() => UpdateWebhookEndpointInput, { description: "The changes." })
  @ValidateNested()
  input: UpdateWebhookEndpointInput;
}

@ArgsType()
export class WebhookEndpointIdArgs {
  @Field(() => ID, { description: "A webhook endpoint of the caller's org." })
  id: string;
}

@ArgsType()
export class WebhookDeliveriesArgs extends PageArgs {
  @Field(() => ID, { description: "The endpoint whose deliveries to list." })
  endpointId: string;

  @Field(() => Boolean, { nullable: true, description: "Only FAILED deliveries and PENDING ones whose last attempt failed." })
  @IsOptional()
  @IsBoolean()
  failedOnly?: boolean | null;
}

@ArgsType()
export class RedeliverWebhookArgs {
  @Field(() => ID, { description: "The delivery to attempt again." })
  deliveryId: string;
}
