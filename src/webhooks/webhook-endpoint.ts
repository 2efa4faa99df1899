import { Field, ID, ObjectType } from "type-graphql";
import { EventType } from "../events/event-type";

/** A partner's URL that receives the org's change events (API.md "Webhooks"). Its secret is never a field. */
@ObjectType({ simpleResolvers: true, description: "A URL of the caller's org that receives its change events, signed per Standard Webhooks 1.0." })
export class WebhookEndpoint {
  @Field(() => ID, { description: "Opaque id, `whep_…`." })
  id: string;

  @Field({ description: "Where deliveries are POSTed: https (http too outside production), a public address." })
  url: string;

  @Field(() => [EventType], { description: "The event types delivered; empty means every type." })
  eventTypes: EventType[];

  @Field(() => String, { nullable: true, description: "The caller's note about this endpoint." })
  description: string | null;

  @Field({ description: "Whether events are delivered. False after updateWebhookEndpoint(enabled: false), a 410 answer, or too long without a success." })
  enabled: boolean;

  @Field(() => String, { nullable: true, description: "Why the endpoint is disabled; null while enabled." })
  disabledReason: string | null;

  @Field({ description: "When it was created; it receives the events that occur from then on." })
  createdOn: Date;

  @Field(() => Date, { nullable: true, description: "The last delivery attempt answered with a 2xx." })
  lastSuccessOn: Date | null;

  @Field(() => Date, { nullable: true, description: "The last delivery attempt that failed (non-2xx, timeout, network error, refused address)." })
  lastFailureOn: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "An endpoint and its signing secret: the only answers that carry the secret." })
export class WebhookEndpointSecret {
  @Field(() => WebhookEndpoint, { description: "The endpoint." })
  endpoint: WebhookEndpoint;

  @Field({ description: "The signing secret, `whsec_` + base64 of 32 random bytes. Store it now: it is never shown again." })
  secret: string;
}

export interface EndpointRow {
  id: string;
  org_id: string;
  url: string;
  event_types: EventType[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_on: Date;
  last_success_on: Date | null;
  last_failure_on: Date | null;
}

export const ENDPOINT_COLUMNS = `id, org_id, url, event_types, description, enabled, disabled_reason, created_on, last_success_on, last_failure_on`;

export function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return Object.assign(new WebhookEndpoint(), {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    createdOn: row.created_on,
    lastSuccessOn: row.last_success_on,
    lastFailureOn: row.last_failure_on,
  } satisfies WebhookEndpoint);
}
