import { Args, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context";
import { Followup } from "../followups/followup.entity";
import { Lead } from "../leads/lead.entity";
import { Event, EventConnection, EventsArgs } from "./event";

@Resolver(() => Event)
export class EventResolver {
  @Authorized()
  @Query(() => EventConnection, {
    description:
      "The org's change events, oldest first, from `after` (the log's beginning without it): the feed to poll instead of re-reading leads. Only the types the caller's scopes allow (LEAD_* leads:read, FOLLOWUP_* followups:read). CURSOR_EXPIRED past EVENTS_RETENTION_DAYS.",
  })
  events(@Args() { after, first, types, leadId }: EventsArgs, @Ctx() ctx: Context): Promise<EventConnection> {
    return ctx.services.events.page(ctx.auth!, { types, leadId }, after, first);
  }

  @Authorized("leads:read")
  @FieldResolver(() => Lead, { nullable: true, description: "The lead's current state (not as of the event). Needs leads:read: without it null with a FORBIDDEN error." })
  lead(@Root() event: Event, @Ctx() ctx: Context): Promise<Lead | null> {
    return ctx.loaders.leadById.load(event.leadId);
  }

  @Authorized("followups:read")
  @FieldResolver(() => Followup, { nullable: true, description: "The followup's current state, for FOLLOWUP_* events. Needs followups:read." })
  followup(@Root() event: Event, @Ctx() ctx: Context): Promise<Followup | null> | null {
    return event.followupId ? ctx.services.followups.get(ctx.auth!, event.followupId) : null;
  }
}
