import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../context";
import { selectionOf } from "../loaders/selected-fields";
import { FollowUpDetail } from "./follow-up-detail.entity";
import { LeadConnection } from "./lead.connection";
import { Lead } from "./lead.entity";
import { LeadStatus } from "./lead.enums";
import {
  CreateLeadArgs,
  CreateLeadReasonArgs,
  CreateLeadSubStatusArgs,
  UpdateLeadArgs,
  UpdateLeadFollowupsArgs,
  UpdateLeadStatusArgs,
} from "./lead.inputs";
import { LeadPayload } from "./lead.payload";
import { LeadIdArgs, LeadsArgs } from "./lead.query-inputs";
import { LeadReason } from "./lead-reason.entity";
import { LeadSubStatus } from "./lead-sub-status.entity";
import { StatusLog } from "./status-log.entity";

@Resolver(() => Lead)
export class LeadResolver {
  @Authorized("leads:read")
  @Query(() => Lead, { nullable: true, description: "A lead of the caller's org by id (DELETED ones too); null when there is none. Needs leads:read." })
  lead(@Args() { id }: LeadIdArgs, @Ctx() ctx: Context): Promise<Lead | null> {
    return ctx.services.leads.get(ctx.auth!, id);
  }

  @Authorized("leads:read")
  @Query(() => LeadConnection, { description: "The org's leads, filtered and ordered, in keyset-paginated pages. Needs leads:read." })
  async leads(@Args() { filter, orderBy, first, after }: LeadsArgs, @Ctx() ctx: Context): Promise<LeadConnection> {
    const page = await ctx.services.leads.list(ctx.auth!, filter, orderBy, first, after);
    return new LeadConnection(page.edges, page.pageInfo, page.count);
  }

  @Authorized("leads:read")
  @Query(() => [LeadReason], { description: "The org's status-change reasons, alphabetically. Needs leads:read." })
  leadReasons(@Ctx() ctx: Context): Promise<LeadReason[]> {
    return ctx.services.leadStatus.listReasons(ctx.auth!);
  }

  @Authorized("leads:read")
  @Query(() => [LeadSubStatus], { description: "The org's sub-statuses, of one status or all. Needs leads:read." })
  leadSubStatuses(
    @Arg("status", () => LeadStatus, { nullable: true, description: "Only this status's sub-statuses." }) status: LeadStatus | null,
    @Ctx() ctx: Context,
  ): Promise<LeadSubStatus[]> {
    return ctx.services.leadStatus.listSubStatuses(ctx.auth!, status);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadPayload, { description: "Creates a lead and its first status log entry. Needs leads:write." })
  createLead(@Args() { input }: CreateLeadArgs, @Ctx() ctx: Context): Promise<LeadPayload> {
    return ctx.services.leads.create(ctx.auth!, input);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadPayload, {
    description:
      "Updates extended fields (merge; null removes a key), owner, email, timezone and the follow-up schedule. Needs leads:write.",
  })
  updateLead(@Args() { id, input }: UpdateLeadArgs, @Ctx() ctx: Context): Promise<LeadPayload> {
    return ctx.services.leads.update(ctx.auth!, id, input);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadPayload, { description: "Changes the status and sub-status with a reason, logging the change. Needs leads:write." })
  updateLeadStatus(@Args() { id, input }: UpdateLeadStatusArgs, @Ctx() ctx: Context): Promise<LeadPayload> {
    return ctx.services.leadStatus.updateLeadStatus(ctx.auth!, id, input);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadPayload, { description: "Records a follow-up with the customer and moves the lead's follow-up dates. Needs leads:write." })
  updateLeadFollowups(@Args() { id, input }: UpdateLeadFollowupsArgs, @Ctx() ctx: Context): Promise<LeadPayload> {
    return ctx.services.leadFollowups.updateLeadFollowups(ctx.auth!, id, input);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadReason, { description: "Adds a status-change reason to the org; a duplicate is CONFLICT. Needs leads:write." })
  createLeadReason(@Args() { reason }: CreateLeadReasonArgs, @Ctx() ctx: Context): Promise<LeadReason> {
    return ctx.services.leadStatus.createReason(ctx.auth!, reason);
  }

  @Authorized("leads:write")
  @Mutation(() => LeadSubStatus, { description: "Defines a sub-status for a status in the org; a duplicate is CONFLICT. Needs leads:write." })
  createLeadSubStatus(@Args() { status, subStatus }: CreateLeadSubStatusArgs, @Ctx() ctx: Context): Promise<LeadSubStatus> {
    return ctx.services.leadStatus.createSubStatus(ctx.auth!, status, subStatus);
  }

  @FieldResolver(() => [FollowUpDetail], { description: "Recorded follow-ups, newest first." })
  followUpDetails(@Root() lead: Lead, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<FollowUpDetail[]> {
    return ctx.loaders.followUpDetailsByLeadId(selectionOf(info)).load(lead.id);
  }

  @FieldResolver(() => [StatusLog], { description: "Status changes, oldest first." })
  statusLogDetails(@Root() lead: Lead, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo): Promise<StatusLog[]> {
    return ctx.loaders.statusLogsByLeadId(selectionOf(info)).load(lead.id);
  }
}
