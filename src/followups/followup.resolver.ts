import { Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context";
import { Lead } from "../leads/lead.entity";
import { FollowupConnection } from "./followup.connection";
import { Followup } from "./followup.entity";
import { CreateFollowupArgs, UpdateFollowupArgs } from "./followup.inputs";
import { FollowupPayload } from "./followup.payload";
import { FollowupIdArgs, FollowupsArgs } from "./followup.query-inputs";

@Resolver(() => Followup)
export class FollowupResolver {
  @Authorized("followups:read")
  @Query(() => Followup, { nullable: true, description: "A followup of the caller's org by id; null when there is none. Needs followups:read." })
  followup(@Args() { id }: FollowupIdArgs, @Ctx() ctx: Context): Promise<Followup | null> {
    return ctx.services.followups.get(ctx.auth!, id);
  }

  @Authorized("followups:read")
  @Query(() => FollowupConnection, { description: "The org's followups, newest created first, in keyset-paginated pages. Needs followups:read." })
  async followups(@Args() { filter, first, after }: FollowupsArgs, @Ctx() ctx: Context): Promise<FollowupConnection> {
    const page = await ctx.services.followups.list(ctx.auth!, filter, first, after);
    return new FollowupConnection(page.edges, page.pageInfo, page.count);
  }

  @Authorized("followups:write")
  @Mutation(() => FollowupPayload, { description: "Creates a followup on a lead; status defaults to ON_HOLD. Needs followups:write." })
  createFollowup(@Args() { input }: CreateFollowupArgs, @Ctx() ctx: Context): Promise<FollowupPayload> {
    return ctx.services.followups.create(ctx.auth!, input);
  }

  @Authorized("followups:write")
  @Mutation(() => FollowupPayload, { description: "Changes the fields given; the lead cannot be changed. Needs followups:write." })
  updateFollowup(@Args() { id, input }: UpdateFollowupArgs, @Ctx() ctx: Context): Promise<FollowupPayload> {
    return ctx.services.followups.update(ctx.auth!, id, input);
  }

  @Authorized("leads:read")
  @FieldResolver(() => Lead, {
    nullable: true,
    description: "The lead this followup belongs to. Needs leads:read: without it the field is null with a FORBIDDEN error.",
  })
  lead(@Root() followup: Followup, @Ctx() ctx: Context): Lead | Promise<Lead> {
    // Set when the followup was reached through its lead (`Lead.followups`); no promise then.
    if (followup.lead) return followup.lead;
    return ctx.loaders.leadById.load(followup.leadId).then((lead) => {
      if (!lead) throw new Error(`followup ${followup.id} has no lead`);
      return lead;
    });
  }
}
