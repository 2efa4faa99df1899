import { Field, ID, InterfaceType } from "type-graphql";
import { idKind } from "../common/ids";

/** The concrete type of a Node, told by its id's prefix. */
export const resolveNodeType = (value: { id: string }): string => (idKind(value.id) === "lead" ? "Lead" : "Followup");

@InterfaceType({
  description: "An object with a global opaque id; `node(id)` fetches any Lead or Followup by it.",
  resolveType: resolveNodeType,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque, globally unique id." })
  id: string;
}
