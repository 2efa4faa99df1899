import { Field, ID, InterfaceType } from "type-graphql";
import { idKind } from "../common/ids";

/** The concrete type of a Node, told by its id's prefix. */
const NODE_TYPES = { lead: "Lead", followup: "Followup", event: "Event" } as const;

export const resolveNodeType = (value: { id: string }): string => NODE_TYPES[idKind(value.id) as keyof typeof NODE_TYPES] ?? "Followup";

@InterfaceType({
  description: "An object with a global opaque id; `node(id)` fetches any Lead, Followup or Event by it.",
  resolveType: resolveNodeType,
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque, globally unique id." })
  id: string;
}
