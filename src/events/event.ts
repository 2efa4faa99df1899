import { ArgsType, Field, ID, ObjectType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { IsOptional, IsString } from "class-validator";
import { Node } from "../node/node.interface";
import { PageInfo, PageSize } from "../common/pagination";
import { encodeEventCursor } from "./event-cursor";
import type { EventData } from "./event-data";
import type { LoggedEvent } from "./event-feed";
import { EventType } from "./event-type";

@ObjectType({ implements: Node, simpleResolvers: true, description: "A committed change to a lead or a followup of the caller's org (API.md, \"Change events\")." })
export class Event implements Node {
  @Field(() => ID, { description: "Opaque id, `evt_…`; also the `webhook-id` of its webhook deliveries." })
  id: string;

  @Field({ description: "This event's place in the org's log: pass it as `after` to read or subscribe from just after it." })
  cursor: string;

  @Field(() => EventType, { description: "What kind of change this is." })
  type: EventType;

  @Field({ description: "When the change was written." })
  occurredOn: Date;

  @Field({ description: "Who made it: the caller's `sub` (or API key's actor), or `system` for a follow-up timer." })
  actor: string;

  @Field(() => ID, { description: "The lead changed, or the followup's lead." })
  leadId: string;

  @Field(() => ID, { nullable: true, description: "The followup changed (FOLLOWUP_* events)." })
  followupId: string | null;

  @Field(() => [String], {
    description: "The entity's GraphQL field names whose value the change changed (a creation: those it set); lastUpdatedOn, lastUpdatedBy and version, which every write changes, are left out.",
  })
  changedFields: string[];

  @Field(() => GraphQLJSONObject, {
    description: "The entity's value fields right after the change, as GraphQL serialises them; LEAD_STATUS_CHANGED adds `statusLog`, LEAD_FOLLOW_UP_RECORDED `followUpDetail`.",
  })
  data: EventData;
}

export function toEvent(logged: LoggedEvent): Event {
  return Object.assign(new Event(), {
    id: logged.id,
    cursor: encodeEventCursor(logged.position),
    type: logged.type,
    occurredOn: logged.occurredOn,
    actor: logged.actor,
    leadId: logged.leadId,
    followupId: logged.followupId,
    changedFields: logged.changedFields,
    data: logged.data,
  } satisfies Event);
}

@ObjectType({ simpleResolvers: true, description: "An edge in an Event connection." })
export class EventEdge {
  @Field({ description: "The event's cursor." })
  cursor: string;

  @Field(() => Event, { description: "The event." })
  node: Event;
}

@ObjectType({ simpleResolvers: true, description: "A page of the event log, oldest first. `pageInfo.endCursor` is where to resume, even on an empty page." })
export class EventConnection {
  @Field(() => [EventEdge], { description: "The events of this page, oldest first." })
  edges: EventEdge[];

  @Field(() => PageInfo, { description: "Where this page stands; `endCursor` is never null." })
  pageInfo: PageInfo;
}

@ArgsType()
export class EventFilterArgs {
  @Field(() => [EventType], { nullable: true, description: "Only these types (every type the caller's scopes allow when null or empty)." })
  types?: EventType[] | null;

  @Field(() => ID, { nullable: true, description: "Only this lead's events (its followups' included)." })
  @IsOptional()
  @IsString()
  leadId?: string | null;

  @Field(() => String, { nullable: true, description: "Start after this event cursor (an `endCursor` or an event's `cursor`)." })
  @IsOptional()
  @IsString()
  after?: string | null;
}

@ArgsType()
export class EventsArgs extends EventFilterArgs {
  @PageSize()
  first?: number | null;
}
