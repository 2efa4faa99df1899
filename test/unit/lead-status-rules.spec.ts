import "reflect-metadata";
import { statusChangeRefusal } from "../../src/leads/lead-status.service";
import { LeadStatus } from "../../src/leads/lead.enums";

/** Capillary's status rules (API.md, "updateLeadStatus"), for every from/to pair of the five statuses. */

const ALL = [LeadStatus.OPEN, LeadStatus.WON, LeadStatus.LOST, LeadStatus.ON_HOLD, LeadStatus.DELETED];
const { OPEN, WON, LOST, ON_HOLD, DELETED } = LeadStatus;

const change = (from: LeadStatus, to: LeadStatus, fromSub: string | null = null, toSub: string | null = null) =>
  statusChangeRefusal({ status: from, subStatus: fromSub }, { status: to, subStatus: toSub });

/** Whether a change between the statuses, both without a sub-status, is allowed. */
const ALLOWED: Record<LeadStatus, Record<LeadStatus, boolean>> = {
  [OPEN]: { [OPEN]: false, [WON]: true, [LOST]: true, [ON_HOLD]: true, [DELETED]: true },
  [ON_HOLD]: { [OPEN]: true, [WON]: true, [LOST]: true, [ON_HOLD]: false, [DELETED]: true },
  [WON]: { [OPEN]: false, [WON]: false, [LOST]: false, [ON_HOLD]: false, [DELETED]: true },
  [LOST]: { [OPEN]: false, [WON]: false, [LOST]: false, [ON_HOLD]: false, [DELETED]: true },
  [DELETED]: { [OPEN]: false, [WON]: false, [LOST]: false, [ON_HOLD]: false, [DELETED]: false },
};

const pairs = ALL.flatMap((from) => ALL.map((to) => [from, to] as const));

describe("statusChangeRefusal", () => {
  it("covers all 25 pairs", () => expect(pairs).toHaveLength(25));

  it.each(pairs)("%s → %s without sub-statuses", (from, to) => {
    const refusal = change(from, to);
    if (ALLOWED[from][to]) expect(refusal).toBeNull();
    else expect(refusal).toEqual(expect.any(String));
  });

  it.each(pairs)("%s → %s with a different sub-status", (from, to) => {
    // A different sub-status makes a same-status change a real change, but never opens a closed lead.
    const refusal = change(from, to, "a", "b");
    const open = from === OPEN || from === ON_HOLD;
    const allowed = open || ((from === WON || from === LOST) && to === DELETED);
    if (allowed) expect(refusal).toBeNull();
    else expect(refusal).toEqual(expect.any(String));
  });

  it.each(pairs)("%s → %s with the same sub-status", (from, to) => {
    const refusal = change(from, to, "same", "same");
    if (ALLOWED[from][to]) expect(refusal).toBeNull();
    else expect(refusal).toEqual(expect.any(String));
  });

  it.each([OPEN, ON_HOLD])("%s: setting or clearing a sub-status is a change, repeating it is a duplicate", (status) => {
    expect(change(status, status, null, "Hot")).toBeNull();
    expect(change(status, status, "Hot", null)).toBeNull();
    expect(change(status, status, "Hot", "Cold")).toBeNull();
    expect(change(status, status, "Hot", "Hot")).toMatch(/duplicate/i);
    expect(change(status, status, null, null)).toMatch(/duplicate/i);
  });

  it("treats a missing sub-status like null", () => {
    const from = { status: OPEN, subStatus: undefined as unknown as string | null };
    expect(statusChangeRefusal(from, { status: OPEN, subStatus: null })).toMatch(/duplicate/i);
    expect(statusChangeRefusal({ status: OPEN, subStatus: null }, from)).toMatch(/duplicate/i);
  });

  it("says why: closed leads and DELETED leads are named as such", () => {
    for (const closed of [WON, LOST]) {
      for (const to of [OPEN, WON, LOST, ON_HOLD]) expect(change(closed, to)).toMatch(new RegExp(`closed \\(${closed}\\).*DELETED`));
    }
    for (const to of ALL) expect(change(DELETED, to)).toMatch(/DELETED/);
    expect(change(DELETED, OPEN)).not.toBe(change(WON, OPEN));
  });
});
