import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  execute,
  getVariableValues,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import { logger } from "./common/logger";
import type { Context } from "./context";

type Gateway = ApolloServerOptionsWithGateway<Context>["gateway"];

/** Operations whose runs are counted; past this many, the least recently used is forgotten. */
const MAX_TRACKED = 1000;

/**
 * Operations larger than this, counted in fields with every fragment spread expanded where it is
 * used, are never compiled. graphql-jit expands each spread again at each use, so compiling takes
 * time exponential in fragment nesting (a chain of 20 fragments spreading the next twice: 0.9 s;
 * of 30: hours), while graphql-js answers such a document at once. The query limits let it through
 * (they count each fragment once), so this is the guard. A page of leads with every list: ~60.
 */
export const MAX_COMPILED_FIELDS = 2000;

interface Tracked {
  runs: number;
  /** The compiled operation; `false` when graphql-jit could not compile it (graphql-js runs it). */
  compiled?: CompiledQuery | false;
}

/**
 * How operations are executed. A query run `compileAfter` times already is compiled by
 * graphql-jit into a function that reads plain fields directly, without graphql-js's per-field
 * info object, argument map and promise bookkeeping (a page of leads with their lists resolves
 * thousands of fields), and runs compiled from then on. Until then graphql-js's interpreter runs
 * it: compiling costs far more than one run, which a one-off operation (or a client sending a new
 * document each time) must not make the server pay on every request.
 *
 * Apollo still parses, validates (query limits included) and runs every plugin; only `execute` is
 * replaced, through Apollo's documented gateway interface. Variables are coerced by graphql-js
 * first, so a bad variable gets exactly graphql-js's error (src/common/format-error.ts reads it),
 * and errors are handed to Apollo as graphql-js's own GraphQLError.
 */
export function compiledExecution(schema: GraphQLSchema, { compileAfter }: { compileAfter: number }): Gateway {
  const tracked = new Map<string, Tracked>();

  /** The operation's entry, moved to the most recently used end (a Map iterates in insertion order). */
  const track = (key: string): Tracked => {
    let entry = tracked.get(key);
    if (entry) tracked.delete(key);
    else entry = { runs: 0 };
    tracked.set(key, entry);
    if (tracked.size > MAX_TRACKED) tracked.delete(tracked.keys().next().value!);
    return entry;
  };

  const compile = (document: DocumentNode, operationName: string | undefined): CompiledQuery | false => {
    const started = performance.now();
    const compiled = compileQuery<Record<string, unknown>>(schema, document, operationName);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    if (!isCompiledQuery(compiled)) {
      logger.warn({ operation: operationName ?? null, ms }, "operation not compiled; graphql-js runs it");
      return false;
    }
    logger.debug({ operation: operationName ?? null, ms }, "operation compiled");
    return compiled;
  };

  return {
    async load() {
      return {
        executor: async (request): Promise<ExecutionResult> => {
          const { document } = request;
          const { operationName, variables = {} } = request.request;
          const interpret = () => execute({ schema, document, operationName, variableValues: variables, contextValue: request.context });
          // No operation by that name (or several and none named): graphql-js's own error, which
          // Apollo turns into 400 OPERATION_RESOLUTION_FAILURE.
          if (!request.operation) return interpret();
          if (request.operation.operation === "subscription") return { errors: [subscriptionOverHttp()] };
          // A mutation's answer is a payload of a few fields and its time is its transaction's:
          // compiling saves nothing there, and would coerce its (larger) input twice.
          if (request.operation.operation !== "query") return interpret();
          const coerced = getVariableValues(schema, request.operation.variableDefinitions ?? [], variables);
          if (coerced.errors) return { errors: coerced.errors };

          // The operation's own name (the request may leave it out when the document has one operation).
          const name = request.operationName ?? undefined;
          const entry = track(`${name ?? ""}:${request.queryHash}`);
          if (entry.compiled === undefined && entry.runs >= compileAfter) {
            entry.compiled = expandedFieldCount(document, request.operation, MAX_COMPILED_FIELDS) <= MAX_COMPILED_FIELDS && compile(document, name);
          }
          entry.runs++;
          if (!entry.compiled) return interpret();
          const result = await entry.compiled.query(undefined, request.context, variables);
          return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async stop() {},
  };
}

/** API.md: subscriptions are served over WebSocket only. */
const subscriptionOverHttp = () =>
  new GraphQLError("Subscriptions are served over WebSocket on this path (graphql-transport-ws protocol), not over HTTP", {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });

/**
 * The operation's fields with every fragment spread expanded where it is used (what graphql-jit
 * compiles), counted in linear time (each fragment measured once) and only up to `cap + 1`.
 */
export function expandedFieldCount(document: DocumentNode, operation: OperationDefinitionNode, cap: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const measured = new Map<string, number>();
  const measuring = new Set<string>();

  const count = (selectionSet: SelectionSetNode | undefined): number => {
    let n = 0;
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) n += 1 + count(selection.selectionSet);
      else if (selection.kind === Kind.INLINE_FRAGMENT) n += count(selection.selectionSet);
      else n += spread(selection.name.value);
      if (n > cap) return cap + 1;
    }
    return n;
  };
  const spread = (name: string): number => {
    const known = measured.get(name);
    if (known !== undefined) return known;
    if (measuring.has(name)) return cap + 1; // a cycle: validation refuses it first; never compile one
    measuring.add(name);
    const n = count(fragments.get(name)?.selectionSet);
    measuring.delete(name);
    measured.set(name, n);
    return n;
  };
  return count(operation.selectionSet);
}

/**
 * graphql-jit reports a field's error as its own GraphQLError look-alike, whose properties are
 * read-only; Apollo adds to an error's extensions while formatting it, which fails on those (and
 * then answers INTERNAL_SERVER_ERROR). Each becomes graphql-js's own, with the same message,
 * locations, path and original error, so that src/common/format-error.ts sees what graphql-js gives.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === GraphQLError.prototype) return error;
  const copy = new GraphQLError(error.message, { path: error.path, originalError: error.originalError, extensions: error.extensions });
  if (error.locations) (copy as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return copy;
}
