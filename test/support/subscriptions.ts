import { createClient, type Client, type ClientOptions } from "graphql-ws";
import WebSocket from "ws";
import { waitFor } from "./wait";

/** The WebSocket URL of an app's `/graphql`. */
export const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, "ws");

export const EVENT_SELECTION = `id cursor type occurredOn actor leadId followupId changedFields data`;
export const EVENTS_SUBSCRIPTION = `subscription ($after: String, $types: [EventType!], $leadId: ID) {
  events(after: $after, types: $types, leadId: $leadId) { ${EVENT_SELECTION} }
}`;

export interface Subscriber {
  client: Client;
  /** The events received, in order. */
  events: any[];
  /** Errors sent for the subscription (`error` messages, or `next` payloads with errors). */
  errors: any[];
  completed: boolean;
  /** The close event's code, once the socket closed. */
  closeCode?: number;
  /** Resolves once `n` events arrived (fails after `ms`). */
  waitForEvents(n: number, ms?: number): Promise<any[]>;
  dispose(): Promise<void>;
}

/** A graphql-ws client (the real one) subscribed to `events` with `variables`. */
export function subscribeEvents(
  httpUrl: string,
  connectionParams: Record<string, unknown> | undefined,
  variables: Record<string, unknown> = {},
  options: Partial<ClientOptions> & { query?: string } = {},
): Subscriber {
  const sub: Subscriber = {
    events: [],
    errors: [],
    completed: false,
    client: undefined as unknown as Client,
    async waitForEvents(n, ms = 10_000) {
      await waitFor(() => sub.events.length >= n || sub.closeCode !== undefined, ms).catch(() => {
        throw new Error(`expected ${n} events, got ${sub.events.length}: ${JSON.stringify(sub.events.map((e) => e.type))}`);
      });
      if (sub.events.length < n) throw new Error(`socket closed (${sub.closeCode}) after ${sub.events.length} of ${n} events`);
      return sub.events;
    },
    async dispose() {
      await sub.client.dispose();
    },
  };
  sub.client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (event) => (sub.closeCode = (event as { code: number }).code) },
    ...options,
  });
  sub.client.subscribe(
    { query: options.query ?? EVENTS_SUBSCRIPTION, variables },
    {
      next: (result) => {
        if (result.errors) sub.errors.push(...result.errors);
        if (result.data?.events) sub.events.push(result.data.events);
      },
      error: (err) => sub.errors.push(...(Array.isArray(err) ? err : [err])),
      complete: () => (sub.completed = true),
    },
  );
  return sub;
}
