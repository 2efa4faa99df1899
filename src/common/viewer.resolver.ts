import { Arg, Authorized, Ctx, Field, ID, ObjectType, Query, Resolver } from "type-graphql";
import type { Context } from "../context";
import { forbidden } from "./errors";
import { idKind } from "./ids";
import { Node } from "./node";

@ObjectType({ description: "The caller, as the token or API key says." })
export class Viewer {
  @Field({ description: "The actor: the token's `sub`, or `apikey:<name>` for an API key." })
  actor: string;

  @Field({ description: "The org (tenant) the caller acts in." })
  org: string;

  @Field(() => [String], { description: "The scopes granted." })
  scopes: string[];
}

@Resolver()
export class ViewerResolver {
  @Authorized()
  @Query(() => Viewer, { description: "Who the token or API key says the caller is. Needs any valid token or key." })
  viewer(@Ctx() ctx: Context): Viewer {
    const { actor, org, scopes } = ctx.auth!;
    return { actor, org, scopes: [...scopes].sort() };
  }

  @Authorized()
  @Query(() => Node, {
    nullable: true,
    description: "Any Lead (needs leads:read) or Followup (needs followups:read) of the caller's org by id; null when there is none.",
  })
  async node(@Arg("id", () => ID, { description: "A Lead or Followup id." }) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    const auth = ctx.auth!;
    switch (idKind(id)) {
      case "lead":
        if (!auth.scopes.has("leads:read")) throw forbidden("leads:read");
        return ctx.services.leads.get(auth, id);
      case "followup":
        if (!auth.scopes.has("followups:read")) throw forbidden("followups:read");
        return ctx.services.followups.get(auth, id);
      default:
        return null;
    }
  }
}
