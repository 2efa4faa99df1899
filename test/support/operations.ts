import { codes, type GqlResponse } from "./app";

/**
 * What many test files send and check, in one place: documents whose selection does not matter to
 * the test, and the assertions every write test makes.
 */

/** Every scalar field of a Lead (and its schedule's steps). */
export const LEAD_SCALARS = `
  id userId type leadFor status subStatus owner email timezone extendedFields
  nextFollowUp lastFollowUp followUpStep followUpState
  followUpConfig { step hours channel voicemailEnabled strategyIds }
  useStrategiesForFollowUps orgSourceId createdOn createdBy lastUpdatedOn lastUpdatedBy version`;

export const CREATE_LEAD = `mutation ($input: CreateLeadInput!) { createLead(input: $input) { lead { id version } } }`;
export const CREATE_REASON = `mutation ($reason: String!) { createLeadReason(reason: $reason) { id reason } }`;
export const CREATE_SUB_STATUS = `mutation ($status: LeadStatus!, $subStatus: String!) {
  createLeadSubStatus(status: $status, subStatus: $subStatus) { status subStatus }
}`;

/** The data of a response that must have succeeded (HTTP 200, no error). */
export function ok<T = any>(res: GqlResponse<T>): T {
  expect(res.body.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.data as T;
}

/**
 * A write that must be refused: exactly one error, `code` (with `field`, BAD_USER_INPUT's only
 * path), no payload at `root`, and `read()` answering afterwards exactly as before.
 */
export async function expectRejected(
  write: () => Promise<GqlResponse>,
  read: () => Promise<unknown>,
  root: string,
  code: string,
  field?: string,
): Promise<GqlResponse> {
  const before = await read();
  const res = await write();
  expect(codes(res)).toEqual([code]);
  expect(res.body.data?.[root] ?? null).toBeNull();
  if (field) expect(Object.keys(res.body.errors![0].extensions!.fields ?? {})).toEqual([field]);
  expect(await read()).toEqual(before);
  return res;
}
