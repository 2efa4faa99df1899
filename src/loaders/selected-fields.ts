import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/** The item fields one list field asks for, and a key naming that set (loaders are shared per key). */
export interface Selection {
  fields: ReadonlySet<string>;
  key: string;
}

/** Needed whatever the selection: grouping rows by lead, and `Followup.lead`. */
const ALWAYS = ["id", "leadId"];

/**
 * Keyed by the field's nodes, which graphql-js and graphql-jit hand unchanged to the resolver of
 * every item of a list: the selection is worked out once per place in a document, not per lead.
 */
const memo = new WeakMap<readonly FieldNode[], Selection>();

/** The fields this resolver's selection set names on its item type (through fragments too). */
export function selectionOf(info: GraphQLResolveInfo): Selection {
  let selection = memo.get(info.fieldNodes);
  if (!selection) {
    const fields = new Set(ALWAYS);
    const visited = new Set<string>();
    const collect = (set: SelectionSetNode | undefined) => {
      for (const node of set?.selections ?? []) {
        if (node.kind === Kind.FIELD) fields.add(node.name.value);
        else if (node.kind === Kind.INLINE_FRAGMENT) collect(node.selectionSet);
        else if (!visited.has(node.name.value)) {
          visited.add(node.name.value);
          collect(info.fragments[node.name.value]?.selectionSet);
        }
      }
    };
    for (const node of info.fieldNodes) collect(node.selectionSet);
    selection = { fields, key: [...fields].sort().join(",") };
    memo.set(info.fieldNodes, selection);
  }
  return selection;
}
