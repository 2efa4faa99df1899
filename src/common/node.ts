import { Field, ID, InterfaceType } from "type-graphql";
import { idKind } from "./ids";

@InterfaceType({
  description: "An object with a global opaque id; `node(id)` fetches any Lead or Followup by it.",
  resolveType: (value: { id: string }) => (idKind(value.id) === "lead" ? "Lead" : "Followup"),
})
export abstract class Node {
  @Field(() => ID, { description: "Opaque, globally unique id." })
  id: string;
}
