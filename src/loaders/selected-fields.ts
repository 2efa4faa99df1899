import { TypeInfo, visit, visitWithTypeInfo, type GraphQLResolveInfo } from "graphql";

/** Field names the operation selects on each type, wherever they appear (fragments included). */
export type SelectedFields = ReadonlyMap<string, ReadonlySet<string>>;

export function selectedFields(info: GraphQLResolveInfo): SelectedFields {
  const typeInfo = new TypeInfo(info.schema);
  const byType = new Map<string, Set<string>>();
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (!parent) return;
      let fields = byType.get(parent.name);
      if (!fields) byType.set(parent.name, (fields = new Set()));
      fields.add(node.name.value);
    },
  });
  visit(info.operation, visitor);
  for (const fragment of Object.values(info.fragments)) visit(fragment, visitor);
  return byType;
}
