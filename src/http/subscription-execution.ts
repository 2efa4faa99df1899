import { createSourceEventStream, execute, getOperationAST, GraphQLError, Kind, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Context } from "../context";

/** Results kept for sharing; the oldest go first. An event reaches all its subscribers within moments, so few are needed. */
const MAX_SHARED = 2_000;
/** A shared result older than this is made again: `lead` and `followup` are the current state, and a replay comes later. */
const SHARED_MS = 1_000;

/**
 * graphql-js's `subscribe`, with each event's result shared by the subscriptions that would get
 * the same one: the same org, scopes, document and variables (all but `after`, which only says
 * where the subscription started). With a hundred subscribers of an org, an event is resolved
 * once instead of a hundred times (loaders and lead reads included); each subscriber still gets
 * its own message. `keyOf` names the subscription's document (its text).
 */
export function sharedSubscriptionExecution(documentKeyOf: (args: ExecutionArgs) => string) {
  const shared = new Map<string, { at: number; result: Promise<ExecutionResult> }>();
  return async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterator(stream)) return withInputCodes(stream as ExecutionResult);
    const source = stream;
    const context = args.contextValue as Context;
    const variables = { ...args.variableValues };
    const cursorVariable = rootCursorVariable(args);
    if (cursorVariable) delete variables[cursorVariable];
    const kind = JSON.stringify([context.auth?.org, [...(context.auth?.scopes ?? [])].sort(), documentKeyOf(args), args.operationName ?? null, variables]);
    const resultOf = (event: { id: string }): Promise<ExecutionResult> => {
      const key = `${event.id}\n${kind}`;
      const kept = shared.get(key);
      if (kept && Date.now() - kept.at < SHARED_MS) return kept.result;
      // Fresh loaders for each event: `lead` and `followup` are read as they are now.
      context.renewLoaders?.();
      const result = Promise.resolve(execute({ ...args, rootValue: event }));
      shared.delete(key);
      shared.set(key, { at: Date.now(), result });
      if (shared.size > MAX_SHARED) shared.delete(shared.keys().next().value!);
      return result;
    };
    const results: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        const step = await source.next();
        return step.done ? step : { done: false, value: await resultOf(step.value as { id: string }) };
      },
      return: async () => {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return results;
  };
}

/**
 * The variable given as the root field's `after` (where the subscription starts, which does not
 * change what an event resolves to), if it is one.
 */
function rootCursorVariable(args: ExecutionArgs): string | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  for (const selection of operation?.selectionSet.selections ?? []) {
    if (selection.kind !== Kind.FIELD) continue;
    const after = selection.arguments?.find((a) => a.name.value === "after");
    if (after?.value.kind === Kind.VARIABLE) return after.value.name.value;
  }
  return undefined;
}

/**
 * graphql-js reports a variable it cannot coerce without a code (Apollo adds BAD_USER_INPUT over
 * HTTP): such errors, which belong to no field (no path), are the caller's input.
 */
function withInputCodes(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  const errors = result.errors.map((e) =>
    e.path || e.extensions?.code ? e : new GraphQLError(e.message, { nodes: e.nodes, originalError: e.originalError, extensions: { code: "BAD_USER_INPUT" } }),
  );
  return { ...result, errors };
}

function isAsyncIterator(value: unknown): value is AsyncIterableIterator<unknown> {
  return typeof (value as AsyncIterableIterator<unknown>)?.[Symbol.asyncIterator] === "function";
}
