import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { Context } from "../context";

/** Results kept for sharing; the oldest go first. An event reaches all its subscribers within moments, so few are needed. */
const MAX_SHARED = 2_000;

/**
 * graphql-js's `subscribe`, with each event's result shared by the subscriptions that would get
 * the same one: the same org, scopes, document and variables (all but `after`, which only says
 * where the subscription started). With a hundred subscribers of an org, an event is resolved
 * once instead of a hundred times (loaders and lead reads included); each subscriber still gets
 * its own message. `keyOf` names the subscription's document (its text).
 */
export function sharedSubscriptionExecution(documentKeyOf: (args: ExecutionArgs) => string) {
  const shared = new Map<string, Promise<ExecutionResult>>();
  return async function subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterator(stream)) return stream as ExecutionResult;
    const source = stream;
    const context = args.contextValue as Context;
    const { after: _after, ...variables } = args.variableValues ?? {};
    const kind = JSON.stringify([context.auth?.org, [...(context.auth?.scopes ?? [])].sort(), documentKeyOf(args), args.operationName ?? null, variables]);
    const resultOf = (event: { id: string }): Promise<ExecutionResult> => {
      const key = `${event.id}\n${kind}`;
      let result = shared.get(key);
      if (!result) {
        // Fresh loaders for each event: `lead` and `followup` are read as they are now.
        context.renewLoaders?.();
        result = Promise.resolve(execute({ ...args, rootValue: event }));
        shared.set(key, result);
        if (shared.size > MAX_SHARED) shared.delete(shared.keys().next().value!);
      }
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

function isAsyncIterator(value: unknown): value is AsyncIterableIterator<unknown> {
  return typeof (value as AsyncIterableIterator<unknown>)?.[Symbol.asyncIterator] === "function";
}
