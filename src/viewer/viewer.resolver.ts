import { Authorized, Ctx, Field, ObjectType, Query, Resolver } from "type-graphql";
import type { Context } from "../context";

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
}
