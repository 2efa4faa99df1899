import type { DataSource } from "typeorm";
import { forbidden } from "../common/errors";
import { DEFAULT_PAGE_SIZE } from "../common/pagination";
import type { Principal } from "../auth/scopes";
import { decodeEventCursor, encodeEventCursor } from "./event-cursor";
import { readEvent, readLog, type LoggedEvent } from "./event-feed";
import type { EventStream } from "./event-stream";
import { scopeOfEventType, visibleEventTypes, type EventType } from "./event-type";
import { toEvent, type Event, type EventConnection } from "./event";

export interface EventFilter {
  types?: readonly EventType[] | null;
  leadId?: string | null;
}

/** The feed partners poll (API.md "Change events"): one org's log, the types the caller may see. */
export class EventService {
  constructor(
    private readonly ds: DataSource,
    /** The log read live, for subscriptions; started and stopped by the app. */
    readonly stream: EventStream,
  ) {}

  async page(principal: Principal, filter: EventFilter, after?: string | null, first?: number | null): Promise<EventConnection> {
    const types = this.typesFor(principal, filter.types);
    const position = after != null ? decodeEventCursor(after) : null;
    const limit = first ?? DEFAULT_PAGE_SIZE;
    const page = await readLog(this.ds, { org: principal.org, after: position, types, leadId: filter.leadId, limit });
    const edges = page.events.map((logged) => {
      const node = toEvent(logged);
      return { cursor: node.cursor, node };
    });
    return {
      edges,
      pageInfo: {
        hasNextPage: page.more,
        hasPreviousPage: after != null,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: encodeEventCursor(page.resumeAt),
      },
    };
  }

  /**
   * A subscription's events: after `after` from the log and then live, or from now on without it.
   * The cursor is checked (BAD_USER_INPUT, CURSOR_EXPIRED) before the first event is awaited.
   */
  async subscribe(principal: Principal, filter: EventFilter, after?: string | null): Promise<AsyncIterableIterator<LoggedEvent>> {
    const types = this.typesFor(principal, filter.types);
    const position = after != null ? decodeEventCursor(after) : null;
    if (position) await readLog(this.ds, { org: principal.org, after: position, types, limit: 0 });
    return this.stream.subscribe({ org: principal.org, types, leadId: filter.leadId }, position);
  }

  async get(principal: Principal, id: string): Promise<Event | null> {
    const logged = await readEvent(this.ds, principal.org, id);
    if (!logged) return null;
    const scope = scopeOfEventType(logged.type);
    if (!principal.scopes.has(scope)) throw forbidden(scope);
    return toEvent(logged);
  }

  /** The types of `requested` the caller may see; FORBIDDEN when it may see none at all. */
  typesFor(principal: Principal, requested: readonly EventType[] | null | undefined): EventType[] {
    const types = visibleEventTypes(principal, requested);
    if (!visibleEventTypes(principal).length) throw forbidden("leads:read");
    return types;
  }
}
