import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/** Names of the fields selected under `path` (e.g. ["groups"]) of the current field, fragments included. */
export function selectedFields(info: GraphQLResolveInfo, path: string[]): Set<string> {
  const out = new Set<string>();
  const walk = (set: SelectionSetNode | undefined, depth: number) => {
    if (!set) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) walk(info.fragments[sel.name.value]?.selectionSet, depth);
      else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, depth);
      else if (depth === path.length) out.add(sel.name.value);
      else if (sel.name.value === path[depth]) walk(sel.selectionSet, depth + 1);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet, 0);
  return out;
}
