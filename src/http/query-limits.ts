import type { FastifyPluginCallback } from "fastify";
import fp from "fastify-plugin";
import {
  GraphQLError,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from "graphql";
import { HttpRefusal, type RequestLimitCode } from "../common/errors";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../common/pagination";

/** A request refused by a limit. The message names numbers only, never a part of the document. */
export class RequestLimitError extends GraphQLError {
  constructor(
    readonly code: RequestLimitCode,
    message: string,
    options: { status?: number; nodes?: GraphQLError["nodes"] } = {},
  ) {
    super(message, { nodes: options.nodes, extensions: { code, http: { status: options.status ?? 400 } } });
  }
}

export interface QueryLimits {
  /** Deepest field nesting; 0 turns the limit off (as for every limit here). */
  maxDepth: number;
  /** Highest estimated cost (see `estimate`). */
  maxCost: number;
  maxAliases: number;
  maxDirectives: number;
}

/**
 * Unbounded nested lists (`followUpDetails`, `statusLogDetails`, `Lead.followups`, `followUpConfig`)
 * are assumed to hold this many items.
 */
export const NESTED_LIST_SIZE = 10;

/**
 * graphql-js's parser stops at `maxTokens` (Apollo's `parseOptions`) with this syntax error; the
 * count happens while parsing, so a huge document is never turned into an AST.
 */
const TOKEN_LIMIT = /^Syntax Error: Document contains more (?:than|that) (\d+) tokens\./;

/**
 * The limit code of an error, if a limit refused the request: our own errors (as raised, wrapped
 * in Apollo's ValidationError, or located on a field by graphql-js) and the parser's token limit.
 */
export function requestLimitOf(error: unknown): { code: RequestLimitCode; message: string } | undefined {
  for (let e: unknown = error, hops = 0; e instanceof Error && hops < 5; e = (e as GraphQLError).originalError, hops++) {
    if (e instanceof RequestLimitError) return { code: e.code, message: e.message };
  }
  if (error instanceof GraphQLError && error.extensions?.code === "GRAPHQL_PARSE_FAILED") {
    const m = TOKEN_LIMIT.exec(error.message);
    if (m) return { code: "TOO_MANY_TOKENS", message: `The document has more than ${m[1]} tokens, the limit.` };
  }
  return undefined;
}

interface Measure {
  depth: number;
  cost: number;
  aliases: number;
  directives: number;
}

const ZERO: Measure = { depth: 0, cost: 0, aliases: 0, directives: 0 };

/**
 * Measures an operation in one walk, following fragments (each fragment measured once, so a
 * document that spreads fragments into fragments cannot make this walk exponential).
 *
 * Cost estimates how many objects the response can hold:
 * - an object field costs 1, a scalar or enum field 0;
 * - a field with a `first` argument (a connection) counts its selection `first` times: the value
 *   given, clamped to 0..MAX_PAGE_SIZE (more is refused by the resolver anyway), the default page
 *   size when absent, and MAX_PAGE_SIZE when it is a variable (validation runs once per document,
 *   before variables are known, and Apollo caches validated documents);
 * - a list right under a connection (its `edges`) is that page; any other list counts NESTED_LIST_SIZE items.
 * Introspection (`__schema`, `__type`) adds neither depth nor cost: graphql-js's
 * MaxIntrospectionDepthRule already bounds it.
 */
export function measureOperation(context: ValidationContext, selectionSet: SelectionSetNode, rootType: GraphQLCompositeType | undefined): Measure {
  const schema = context.getSchema();
  const fragments = new Map<string, Measure | "visiting">();

  const walk = (set: SelectionSetNode | undefined, parent: GraphQLCompositeType | undefined, underConnection: boolean): Measure => {
    const total = { ...ZERO };
    const spread = new Set<string>();
    for (const selection of set?.selections ?? []) {
      total.directives += selection.directives?.length ?? 0;
      let part: Measure;
      if (selection.kind === Kind.FIELD) {
        part = measureField(selection, parent, underConnection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        part = walk(selection.selectionSet, typeNamed(schema, selection.typeCondition?.name.value) ?? parent, underConnection);
      } else {
        if (spread.has(selection.name.value)) continue; // spread twice in one selection: merged, runs once
        spread.add(selection.name.value);
        const key = `${selection.name.value}|${underConnection}`;
        const known = fragments.get(key);
        if (known === "visiting") continue; // a cycle: NoFragmentCyclesRule reports it
        if (known) part = known;
        else {
          const fragment = context.getFragment(selection.name.value);
          fragments.set(key, "visiting");
          part = fragment ? walk(fragment.selectionSet, typeNamed(schema, fragment.typeCondition.name.value), underConnection) : ZERO;
          fragments.set(key, part);
        }
      }
      total.depth = Math.max(total.depth, part.depth);
      total.cost += part.cost;
      total.aliases += part.aliases;
      total.directives += part.directives;
    }
    return total;
  };

  const measureField = (node: FieldNode, parent: GraphQLCompositeType | undefined, underConnection: boolean): Measure => {
    const aliases = node.alias && node.alias.value !== node.name.value ? 1 : 0;
    if (node.name.value === "__schema" || node.name.value === "__type") {
      const inner = walk(node.selectionSet, undefined, false);
      return { depth: 0, cost: 0, aliases: aliases + inner.aliases, directives: inner.directives };
    }
    const field = parent && "getFields" in parent ? parent.getFields()[node.name.value] : undefined;
    const type = field ? getNamedType(field.type) : undefined;
    const composite = type && isCompositeType(type) ? type : undefined;
    const paged = !!field?.args.some((a) => a.name === "first");
    const inner = walk(node.selectionSet, composite, paged);
    const own = composite || node.selectionSet ? 1 : 0;
    let cost: number;
    if (paged) cost = own + pageSize(node, field!) * inner.cost;
    else if (field && isListType(getNullableType(field.type))) cost = (underConnection ? 1 : NESTED_LIST_SIZE) * (own + inner.cost);
    else cost = own + inner.cost;
    return { depth: 1 + inner.depth, cost, aliases: aliases + inner.aliases, directives: inner.directives };
  };

  return walk(selectionSet, rootType, false);
}

function typeNamed(schema: GraphQLSchema, name: string | undefined): GraphQLCompositeType | undefined {
  const type = name ? schema.getType(name) : undefined;
  return type && isCompositeType(type) ? type : undefined;
}

/** The page a connection field can return; see `measureOperation`. */
function pageSize(node: FieldNode, field: GraphQLField<unknown, unknown>): number {
  const value: ValueNode | undefined = node.arguments?.find((a) => a.name.value === "first")?.value;
  const schemaDefault = field.args.find((a) => a.name === "first")?.defaultValue;
  const fallback = typeof schemaDefault === "number" ? schemaDefault : DEFAULT_PAGE_SIZE;
  if (!value || value.kind === Kind.NULL) return fallback;
  if (value.kind === Kind.VARIABLE) return MAX_PAGE_SIZE;
  if (value.kind !== Kind.INT) return fallback; // not an Int: ValuesOfCorrectTypeRule refuses it
  return Math.min(Math.max(Number(value.value), 0), MAX_PAGE_SIZE);
}

/** A validation rule enforcing depth, cost, alias and directive limits on every operation of the document. */
export function queryLimitsRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const schema = context.getSchema();
      const root =
        operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
      const m = measureOperation(context, operation.selectionSet, root ?? undefined);
      m.directives += operation.directives?.length ?? 0;
      const report = (code: RequestLimitCode, message: string) => context.reportError(new RequestLimitError(code, message, { nodes: [operation] }));
      if (limits.maxDepth > 0 && m.depth > limits.maxDepth)
        report("QUERY_TOO_DEEP", `The operation is ${m.depth} fields deep; the limit is ${limits.maxDepth}.`);
      if (limits.maxCost > 0 && m.cost > limits.maxCost)
        report("QUERY_TOO_COMPLEX", `The operation's estimated cost is ${formatCost(m.cost)}; the limit is ${limits.maxCost}. Ask for smaller pages (first) or fewer nested lists.`);
      if (limits.maxAliases > 0 && m.aliases > limits.maxAliases)
        report("TOO_MANY_ALIASES", `The operation uses ${m.aliases} aliases; the limit is ${limits.maxAliases}.`);
      if (limits.maxDirectives > 0 && m.directives > limits.maxDirectives)
        report("TOO_MANY_DIRECTIVES", `The operation uses ${m.directives} directives; the limit is ${limits.maxDirectives}.`);
      return false; // measured whole; nothing more to visit
    },
  });
}

const formatCost = (cost: number) => (Number.isFinite(cost) && cost < 1e15 ? String(Math.round(cost)) : "more than 10^15");

/**
 * Batched requests (a JSON array of operations): refused above `maxBatch` operations, and refused
 * altogether when `maxBatch` is 1 (Apollo's batching is then off too). Runs once the body is parsed.
 */
export const batchLimit: FastifyPluginCallback<{ maxBatch: number }> = fp<{ maxBatch: number }>(
  (app, { maxBatch }, done) => {
    app.addHook("preValidation", (request, _reply, next) => {
      const body: unknown = request.body;
      if (!Array.isArray(body) || (maxBatch > 1 && body.length <= maxBatch)) return next();
      const message = maxBatch > 1 ? `A batch may hold at most ${maxBatch} operations.` : "Batched requests are not accepted: send one operation per request.";
      next(new HttpRefusal(400, "BATCH_TOO_LARGE", message));
    });
    done();
  },
  { name: "batch-limit" },
);
