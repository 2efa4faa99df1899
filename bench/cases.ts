import { LEADS_PER_ORG, READ_ORG, WRITE_ORG, leadId, reasonId } from "./dataset";

/** What one benchmark case sends. `next()` builds each request's body; `settle` sees each response. */
export interface BenchCase {
  name: string;
  title: string;
  org: string;
  /** The operation, shown in RESULTS.md. */
  query: string;
  /** A fresh request generator for one run. `state` is shared with `settle`. */
  requests(): CaseRequests;
}

export interface CaseRequests {
  next(): { body: string; state?: unknown };
  /** Called with each response's outcome and the state `next` returned for it. */
  settle?(ok: boolean, state: unknown): void;
}

const LEAD_SCALARS = `id userId type leadFor status subStatus owner email timezone extendedFields nextFollowUp lastFollowUp
      followUpStep followUpState useStrategiesForFollowUps orgSourceId createdOn createdBy lastUpdatedOn lastUpdatedBy version`;

/** Every field of the nested lists: what a lead's detail page shows (Q3). */
const NESTED = `followUpDetails { id followedUpBy followedUpOn nextFollowUp notes createdOn }
      statusLogDetails { id status previousStatus reason createdBy createdOn }
      followups { id status type scheduledAt summary createdOn lead { id } }`;
/** What a list of leads shows of each nested row (Q2): the selection of the contract's batching rule and its test. */
const NESTED_SUMMARY = `followUpDetails { id followedUpOn notes }
      statusLogDetails { id status createdOn }
      followups { id status lead { id } }`;

/** The request pipeline alone: HTTP, auth, GraphQL; no resolver reaches the database. */
const T = `query T { __typename }`;
/** One lead by id, four fields: the smallest read. */
const Q0 = `query Q0($id: ID!) { lead(id: $id) { id status leadFor version } }`;
export const Q1 = `query Q1 { leads(first: 50) { edges { cursor node { ${LEAD_SCALARS} } } pageInfo { hasNextPage endCursor } } }`;
export const Q2 = `query Q2($first: Int) { leads(first: $first) { edges { cursor node { ${LEAD_SCALARS}
      ${NESTED_SUMMARY} } } pageInfo { hasNextPage endCursor } } }`;
const Q3 = `query Q3($id: ID!) { lead(id: $id) { ${LEAD_SCALARS}
      ${NESTED} } }`;
const Q4 = `query Q4 { followups(filter: { status: [SCHEDULED, IN_PROGRESS] }, first: 50) {
    edges { cursor node { id leadId status type callDate scheduledAt summary callId durationMs phoneNumber direction isRetry createdOn lastUpdatedOn version } }
    pageInfo { hasNextPage endCursor } } }`;
export const M1 = `mutation M1($id: ID!, $input: UpdateLeadInput!) { updateLead(id: $id, input: $input) {
    lead { id version extendedFields lastUpdatedOn } warnings { code } } }`;
const M2 = `mutation M2($id: ID!, $input: UpdateLeadStatusInput!) { updateLeadStatus(id: $id, input: $input) {
    lead { id status subStatus version lastUpdatedOn } warnings { code } } }`;

const randomInt = (n: number) => Math.floor(Math.random() * n);
const fixed = (query: string, variables?: Record<string, unknown>): CaseRequests => {
  const body = JSON.stringify({ query, variables });
  return { next: () => ({ body }) };
};

/** `query` with `$id` a random lead of the read org at each request. */
const onRandomReadLead = (query: string): CaseRequests => ({
  next: () => ({ body: JSON.stringify({ query, variables: { id: leadId(READ_ORG, 1 + randomInt(LEADS_PER_ORG)) } }) }),
});

/** Every case's name, in the order a run takes them. */
export const CASE_NAMES = ["T", "Q0", "Q1", "Q2", "Q3", "Q4", "M1", "M2"];

/** The cases; `flippable` is WRITE_ORG's OPEN/ON_HOLD leads, read from the database before each M2 run. */
export function benchCases(flippable: () => Map<string, "OPEN" | "ON_HOLD">): BenchCase[] {
  return [
    {
      name: "T",
      title: "{ __typename }: the request pipeline alone",
      org: READ_ORG,
      query: T,
      requests: () => fixed(T),
    },
    {
      name: "Q0",
      title: "lead(id) with four fields, random ids",
      org: READ_ORG,
      query: Q0,
      requests: () => onRandomReadLead(Q0),
    },
    {
      name: "Q1",
      title: "leads(first: 50), scalar fields only",
      org: READ_ORG,
      query: Q1,
      requests: () => fixed(Q1),
    },
    {
      name: "Q2",
      title: "leads(first: 50) with followUpDetails, statusLogDetails, followups { lead { id } }",
      org: READ_ORG,
      query: Q2,
      requests: () => fixed(Q2, { first: 50 }),
    },
    {
      name: "Q3",
      title: "lead(id) with its nested lists, random ids",
      org: READ_ORG,
      query: Q3,
      requests: () => onRandomReadLead(Q3),
    },
    {
      name: "Q4",
      title: "followups(filter: { status: [SCHEDULED, IN_PROGRESS] }, first: 50)",
      org: READ_ORG,
      query: Q4,
      requests: () => fixed(Q4),
    },
    {
      name: "M1",
      title: "updateLead: extendedFields merge on random leads",
      org: WRITE_ORG,
      query: M1,
      requests: () => ({
        next: () => ({
          body: JSON.stringify({
            query: M1,
            variables: {
              id: leadId(WRITE_ORG, 1 + randomInt(LEADS_PER_ORG)),
              input: { extendedFields: { [`k${randomInt(10)}`]: randomInt(1_000_000), lastTouch: new Date().toISOString() } },
            },
          }),
        }),
      }),
    },
    {
      name: "M2",
      title: "updateLeadStatus: OPEN ⇄ ON_HOLD with a reason, on random leads",
      org: WRITE_ORG,
      query: M2,
      requests: () => {
        const statuses = flippable();
        const ids = [...statuses.keys()];
        // A lead with a change in flight is not picked again until it is answered: two requests
        // asking for the same status at once would fail the second as "already in that status".
        const inFlight = new Set<string>();
        return {
          next: () => {
            let id = ids[randomInt(ids.length)];
            for (let tries = 0; inFlight.has(id) && tries < 100; tries++) id = ids[randomInt(ids.length)];
            inFlight.add(id);
            const target = statuses.get(id) === "OPEN" ? "ON_HOLD" : "OPEN";
            return {
              body: JSON.stringify({ query: M2, variables: { id, input: { status: target, reasonId: reasonId(WRITE_ORG) } } }),
              state: { id, target },
            };
          },
          // Only a change the server confirmed moves the bench's idea of the lead's status.
          settle: (ok, state) => {
            const { id, target } = state as { id: string; target: "OPEN" | "ON_HOLD" };
            inFlight.delete(id);
            if (ok) statuses.set(id, target);
          },
        };
      },
    },
  ];
}
