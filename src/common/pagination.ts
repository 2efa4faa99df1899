import { ArgsType, Field, Int, ObjectType, registerEnumType, type ClassType } from "type-graphql";
import { IsInt, IsOptional, IsString, Max, Min } from "class-validator";
import { parseIsoUtc } from "./date-time";
import { invalidField } from "./errors";
import { isStorableText } from "./text";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export enum OrderDirection {
  ASC = "ASC",
  DESC = "DESC",
}
registerEnumType(OrderDirection, {
  name: "OrderDirection",
  description: "Sort direction.",
  valuesConfig: { ASC: { description: "Oldest / smallest first." }, DESC: { description: "Newest / largest first." } },
});

/** `first`: a page's size, 0 to MAX_PAGE_SIZE (more is BAD_USER_INPUT), DEFAULT_PAGE_SIZE when not given. */
export function PageSize(): PropertyDecorator {
  const decorators = [
    Field(() => Int, { nullable: true, description: `Page size: 0 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}.` }),
    IsOptional(),
    IsInt(),
    Min(0),
    Max(MAX_PAGE_SIZE, { message: `first must not be greater than ${MAX_PAGE_SIZE}` }),
  ];
  return (target, property) => {
    // In the order stacked decorators run: the innermost first.
    for (const decorate of [...decorators].reverse()) decorate(target, property);
  };
}

@ArgsType()
export class PageArgs {
  @PageSize()
  first?: number | null;

  @Field(() => String, { nullable: true, description: "Return the items after this cursor (an `endCursor` or edge `cursor` of the same query)." })
  @IsOptional()
  @IsString()
  after?: string | null;
}

@ObjectType({ simpleResolvers: true, description: "Relay page information." })
export class PageInfo {
  @Field({ description: "More items follow this page." })
  hasNextPage: boolean;

  @Field({ description: "Items precede this page (true whenever `after` was given)." })
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true, description: "Cursor of the first edge; null on an empty page." })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: "Cursor of the last edge; pass it as `after` for the next page." })
  endCursor: string | null;
}

/**
 * A keyset position: the sort key's value and the id of the last row seen, tagged with the
 * ordering it belongs to so that a cursor from one ordering is refused by another.
 */
export interface CursorKey {
  order: string;
  value: string | null;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.order, key.value, key.id])).toString("base64url");
}

/** Ids are at most 40 characters (the width of every id column). */
const MAX_ID_LENGTH = 40;

/** A cursor's position: the sort key's instant (null for a NULL key) and the id of the last row seen. */
export interface CursorPosition {
  at: Date | null;
  id: string;
}

/**
 * The position a cursor of this server holds, for the ordering `order` (whose sort key may be NULL
 * only when `nullable`). Anything else, however it came to be (forged, truncated, tampered, from
 * another query), is BAD_USER_INPUT on `path`: the content must be exactly what `encodeCursor`
 * writes, with a timestamp PostgreSQL can store and an id that can be one, so nothing a client
 * makes up reaches SQL.
 */
export function decodeCursor(cursor: string, order: string, { nullable = false, path = "after" } = {}): CursorPosition {
  const invalid = () => invalidField(path, "is not a valid cursor");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [tag, value, id] = parsed as unknown[];
  if (typeof tag !== "string" || typeof id !== "string" || (value !== null && typeof value !== "string")) throw invalid();
  const at = value === null ? null : parseIsoUtc(value);
  if (at === undefined) throw invalid();
  if (!id || id.length > MAX_ID_LENGTH || !isStorableText(id) || !isStorableText(tag)) throw invalid();
  // Another spelling of the same content (base64 padding, JSON whitespace) is not one we issued.
  if (encodeCursor({ order: tag, value, id }) !== cursor) throw invalid();
  if (tag !== order) throw invalidField(path, "belongs to a different ordering");
  if (at === null && !nullable) throw invalid();
  return { at, id };
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/**
 * Builds `XConnection` / `XEdge` types for a node type. `totalCount` is counted only when asked for.
 * `simpleResolvers`: plain fields are read straight off the object (see Lead).
 */
export function ConnectionType<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `An edge in a ${name} connection.` })
  class EdgeType implements Edge<T> {
    @Field({ description: "Opaque cursor of this edge." })
    cursor: string;

    @Field(() => nodeType, { description: "The item." })
    node: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A page of ${name} items (Relay cursor connection).` })
  class Connection {
    @Field(() => [EdgeType], { description: "The items of this page, in order." })
    edges: EdgeType[];

    @Field(() => PageInfo, { description: "Where this page stands." })
    pageInfo: PageInfo;

    constructor(
      edges: EdgeType[],
      pageInfo: PageInfo,
      private readonly count: () => Promise<number>,
    ) {
      this.edges = edges;
      this.pageInfo = pageInfo;
    }

    @Field(() => Int, { description: "Number of items matching the filter across all pages." })
    totalCount(): Promise<number> {
      return this.count();
    }
  }
  return Connection;
}

/** Turns `first + 1` fetched rows into a page. */
export function toPage<T>(rows: T[], first: number, after: string | null | undefined, cursorOf: (row: T) => string) {
  const hasNextPage = rows.length > first;
  const edges = rows.slice(0, first).map((node) => ({ cursor: cursorOf(node), node }));
  const pageInfo: PageInfo = {
    hasNextPage,
    hasPreviousPage: !!after,
    startCursor: edges[0]?.cursor ?? null,
    endCursor: edges[edges.length - 1]?.cursor ?? null,
  };
  return { edges, pageInfo };
}
