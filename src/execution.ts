import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import { GraphQLError, execute, getVariableValues, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Context } from "./context";

type Gateway = ApolloServerOptionsWithGateway<Context>["gateway"];

/** Compiled operations kept per process; past this many the oldest is compiled again on its next use. */
const MAX_COMPILED = 500;

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter: each distinct
 * operation is compiled once into a function that reads plain fields directly, without the
 * per-field info object, argument map and promise bookkeeping graphql-js pays (about 3,900 fields
 * for a page of 50 leads with their lists; see bench/RESULTS.md).
 *
 * Apollo still parses, validates (query limits included) and runs every plugin; only `execute` is
 * replaced, through Apollo's documented gateway interface. Variables are coerced by graphql-js
 * first, so a bad variable gets exactly graphql-js's error (src/common/format-error.ts reads it).
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  const compiled = new Map<string, CompiledQuery>();

  const compile = (queryHash: string, document: DocumentNode, operationName: string | null): CompiledQuery | ExecutionResult => {
    const key = `${operationName ?? ""}:${queryHash}`;
    let query = compiled.get(key);
    if (query) {
      // Keep recently used operations: Map iteration order is insertion order.
      compiled.delete(key);
      compiled.set(key, query);
      return query;
    }
    const result = compileQuery<Record<string, unknown>>(schema, document, operationName ?? undefined);
    if (!isCompiledQuery(result)) return result;
    query = result;
    compiled.set(key, query);
    if (compiled.size > MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    return query;
  };

  return {
    async load() {
      return {
        executor: async (request): Promise<ExecutionResult> => {
          const variables = request.request.variables ?? {};
          // No operation by that name (or several and none named): graphql-js's own error, which
          // Apollo turns into 400 OPERATION_RESOLUTION_FAILURE.
          if (!request.operation) return execute({ schema, document: request.document, operationName: request.request.operationName, variableValues: variables });
          const coerced = getVariableValues(schema, request.operation.variableDefinitions ?? [], variables);
          if (coerced.errors) return { errors: coerced.errors };
          const query = compile(request.queryHash, request.document, request.operationName);
          if (!isCompiledQuery(query)) return query;
          const result = await query.query(undefined, request.context, variables);
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
