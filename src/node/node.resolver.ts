import { Arg, Authorized, Ctx, ID, Query, Resolver } from "type-graphql";
import type { Context } from "../context";
import { forbidden } from "../common/errors";
import { idKind } from "../common/ids";
import { Node } from "./node.interface";

/** `node(id)`: any Lead or Followup by its opaque id, with the scope its type needs. */
@Resolver()
export class NodeResolver {
  @Authorized()
  @Query(() => Node, {
    nullable: true,
    description: "Any Lead (needs leads:read), Followup (needs followups:read) or Event (the scope of its type) of the caller's org by id; null when there is none.",
  })
  async node(@Arg("id", () => ID, { description: "A Lead, Followup or Event id." }) id: string, @Ctx() ctx: Context): Promise<Node | null> {
    const auth = ctx.auth!;
    switch (idKind(id)) {
      case "lead":
        if (!auth.scopes.has("leads:read")) throw forbidden("leads:read");
        return ctx.services.leads.get(auth, id);
      case "followup":
        if (!auth.scopes.has("followups:read")) throw forbidden("followups:read");
        return ctx.services.followups.get(auth, id);
      case "event":
        // FORBIDDEN when the event's type needs a scope the caller lacks.
        return ctx.services.events.get(auth, id);
      default:
        return null;
    }
  }
}
