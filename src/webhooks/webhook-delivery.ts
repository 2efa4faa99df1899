import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType } from "../common/pagination";
import { EventType } from "../events/event-type";

export enum WebhookDeliveryStatus {
  PENDING = "PENDING",
  SUCCEEDED = "SUCCEEDED",
  FAILED = "FAILED",
}

registerEnumType(WebhookDeliveryStatus, {
  name: "WebhookDeliveryStatus",
  description: "Where a delivery stands.",
  valuesConfig: {
    PENDING: { description: "Not yet answered with a 2xx; attempted at `nextAttemptOn`." },
    SUCCEEDED: { description: "An attempt was answered with a 2xx." },
    FAILED: { description: "Every attempt of the retry schedule failed (redeliverWebhook tries again)." },
  },
});

@ObjectType({ simpleResolvers: true, description: "One event's delivery to one endpoint, and how its attempts went." })
export class WebhookDelivery {
  @Field(() => ID, { description: "Opaque id, `whdl_…`." })
  id: string;

  @Field(() => ID, { description: "The event delivered: the `webhook-id` header and the body's `id`." })
  eventId: string;

  @Field(() => EventType, { description: "The event's type (the body's `type` is its dotted name, e.g. `lead.status_changed`)." })
  eventType: EventType;

  @Field(() => WebhookDeliveryStatus, { description: "PENDING, SUCCEEDED or FAILED." })
  status: WebhookDeliveryStatus;

  @Field(() => Int, { description: "Attempts made so far, redeliveries included." })
  attempts: number;

  @Field(() => Int, { nullable: true, description: "The HTTP status of the last attempt's answer; null when it got none (timeout, network error, refused address)." })
  lastResponseStatus: number | null;

  @Field(() => String, { nullable: true, description: "What went wrong with the last attempt (with a short excerpt of the answer's body); null after a success." })
  lastError: string | null;

  @Field(() => Date, { nullable: true, description: "When the next attempt is due (PENDING only); an endpoint disabled meanwhile holds its deliveries until it is enabled." })
  nextAttemptOn: Date | null;

  @Field({ description: "When the event was queued for this endpoint." })
  createdOn: Date;
}

export const WebhookDeliveryConnection = ConnectionType("WebhookDelivery", WebhookDelivery);
export type WebhookDeliveryConnection = InstanceType<typeof WebhookDeliveryConnection>;

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: EventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_response_status: number | null;
  last_error: string | null;
  next_attempt_on: Date | null;
  created_on: Date;
}

export const DELIVERY_COLUMNS = `id, event_id, event_type, status, attempts, last_response_status, last_error, next_attempt_on, created_on`;

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return Object.assign(new WebhookDelivery(), {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    lastResponseStatus: row.last_response_status,
    lastError: row.last_error,
    nextAttemptOn: row.next_attempt_on,
    createdOn: row.created_on,
  } satisfies WebhookDelivery);
}
