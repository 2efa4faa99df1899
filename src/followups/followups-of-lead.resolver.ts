import type { GraphQLResolveInfo } from "graphql";
import { Arg, Authorized, Ctx, FieldResolver, Info, Resolver, Root } from "type-graphql";
import type { Context } from "../context";
import { Lead } from "../leads/lead.entity";
import { selectionOf } from "../loaders/selected-fields";
import { Followup } from "./followup.entity";
import { FollowupStatus } from "./followup.enums";

/** `Lead.followups`: GetBill's followups hang off the lead, but belong to this room (leads know nothing of them). */
@Resolver(() => Lead)
export class FollowupsOfLeadResolver {
  @Authorized("followups:read")
  @FieldResolver(() => [Followup], {
    nullable: true,
    description: "The lead's followups, newest first. Needs followups:read: without it the field is null with a FORBIDDEN error.",
  })
  async followups(
    @Root() lead: Lead,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
    @Arg("status", () => [FollowupStatus], { nullable: true, description: "Only followups with any of these statuses." })
    status?: FollowupStatus[] | null,
  ): Promise<Followup[]> {
    const followups = await ctx.loaders.followupsByLeadId(status, selectionOf(info)).load(lead.id);
    // Their lead is this one: `Followup.lead` then answers at once, without a load.
    for (const followup of followups) followup.lead ??= lead;
    return followups;
  }
}
