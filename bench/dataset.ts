import { createHash } from "node:crypto";
import type { Client } from "pg";

/**
 * The bench dataset: two orgs with LEADS_PER_ORG leads each, and per lead 5 follow-up details,
 * 5 status logs and 5 followups. Every id and value is derived from (org, n, k), so the dataset
 * is the same on every machine and the bench can compute lead ids without asking the database.
 * Reads use READ_ORG; writes use WRITE_ORG, so that the mutations never change what the reads see.
 */
export const READ_ORG = "bench-a";
export const WRITE_ORG = "bench-b";
export const ORGS = [READ_ORG, WRITE_ORG] as const;
export const LEADS_PER_ORG = 10_000;
export const PER_LEAD = 5;
const VERSION = 1;
/** A reason in READ_ORG whose presence means the dataset is complete (it is inserted in the same transaction). */
export const MARKER = `bench dataset v${VERSION}: ${LEADS_PER_ORG} leads per org, ${PER_LEAD} of each nested row per lead`;
const BASE = "2025-01-01T00:00:00Z";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");
/** The id of lead n (1-based) of an org; the SQL below builds the same ids. */
export const leadId = (org: string, n: number) => `lead_${md5(`${org}:${n}`).slice(0, 20)}`;
/** The status-change reason the bench passes to `updateLeadStatus`. */
export const reasonId = (org: string) => `rsn_${md5(`reason:${org}`).slice(0, 20)}`;

const FOLLOWUP_STATUSES = [
  "ON_HOLD", "SCHEDULED", "IN_PROGRESS", "SENT", "DELIVERED", "DEAL_FOUND",
  "NO_ANSWER", "DEAL_NOT_FOUND", "BAD_BEHAVIOR", "FAILED", "CANCELLED",
];
const FOLLOWUP_TYPES = ["CALL", "EMAIL", "SMS", "WHATSAPP", "VOICEMAIL", "MANUAL_CALL", "PHYSICAL", "POSTMAIL"];
const sqlArray = (xs: string[]) => `ARRAY[${xs.map((x) => `'${x}'`).join(",")}]`;

/** $1 org, $2 number of leads. 5% WON, 5% LOST, 5% DELETED, 15% ON_HOLD, the rest OPEN. */
const INSERT_LEADS = `
INSERT INTO leads (id, org_id, user_id, type, lead_for, status, sub_status, owner, email, timezone, extended_fields,
  next_follow_up, last_follow_up, follow_up_step, follow_up_config, use_strategies_for_follow_ups, org_source_id,
  created_on, created_by, last_updated_on, last_updated_by, version)
SELECT 'lead_' || substr(md5($1 || ':' || g), 1, 20), $1, 'cust-' || (g % 2000),
  (ARRAY['SKU','BRAND','CATEGORY','CUSTOM'])[1 + g % 4], 'item ' || g,
  CASE WHEN g % 20 = 0 THEN 'WON' WHEN g % 20 = 1 THEN 'LOST' WHEN g % 20 = 2 THEN 'DELETED'
       WHEN g % 20 < 6 THEN 'ON_HOLD' ELSE 'OPEN' END,
  NULL, 'assoc-' || (g % 50), 'customer' || g || '@example.com', 'America/New_York',
  jsonb_build_object('source', 'bench', 'tier', g % 3, 'store', 'store-' || (g % 40)),
  CASE WHEN g % 3 = 0 THEN NULL ELSE t + interval '2 days' END,
  t + interval '5 hours', 1,
  '[{"step":1,"hours":24,"channel":"CALL","voicemailEnabled":true,"strategyIds":null},
    {"step":2,"hours":72,"channel":"EMAIL","voicemailEnabled":false,"strategyIds":null}]'::jsonb,
  false, (g % 5) - 1, t, 'bench', t + interval '6 hours', 'bench', 1
FROM generate_series(1, $2::int) g, LATERAL (SELECT '${BASE}'::timestamptz + make_interval(mins => g) AS t) at`;

/** Per lead n and k = 1..5, in insertion order (seq) by lead then k. */
const CHILDREN = `FROM generate_series(1, $2::int) g CROSS JOIN generate_series(1, ${PER_LEAD}) k,
  LATERAL (SELECT 'lead_' || substr(md5($1 || ':' || g), 1, 20) AS lead_id,
                  '${BASE}'::timestamptz + make_interval(mins => g) AS t,
                  'cust-' || (g % 2000) AS user_id) l`;

const INSERT_FOLLOW_UP_DETAILS = `
INSERT INTO follow_up_details (id, org_id, lead_id, user_id, followed_up_by, followed_up_on, scheduled_follow_up,
  next_follow_up, notes, created_by, created_on)
SELECT 'fud_' || substr(md5('fud:' || $1 || ':' || g || ':' || k), 1, 20), $1, l.lead_id, l.user_id, 'assoc-' || (k % 7),
  l.t + make_interval(hours => k), l.t + make_interval(hours => k) - interval '10 minutes', l.t + make_interval(hours => k + 24),
  'Called the customer about item ' || g || ', attempt ' || k, 'bench', l.t + make_interval(hours => k)
${CHILDREN} ORDER BY g, k`;

const INSERT_STATUS_LOGS = `
INSERT INTO status_logs (id, org_id, lead_id, user_id, status, sub_status, previous_status, reason_id, reason, created_by, created_on)
SELECT 'slog_' || substr(md5('slog:' || $1 || ':' || g || ':' || k), 1, 20), $1, l.lead_id, l.user_id, s.path[k], NULL,
  CASE WHEN k = 1 THEN NULL ELSE s.path[k - 1] END,
  CASE WHEN k = 1 THEN NULL ELSE $3 END, CASE WHEN k = 1 THEN NULL ELSE 'Customer request' END,
  'bench', l.t + make_interval(mins => k)
${CHILDREN}, LATERAL (SELECT ARRAY['OPEN', 'ON_HOLD', 'OPEN',
    CASE WHEN g % 20 BETWEEN 3 AND 5 THEN 'OPEN' ELSE 'ON_HOLD' END,
    CASE WHEN g % 20 = 0 THEN 'WON' WHEN g % 20 = 1 THEN 'LOST' WHEN g % 20 = 2 THEN 'DELETED'
         WHEN g % 20 < 6 THEN 'ON_HOLD' ELSE 'OPEN' END] AS path) s
ORDER BY g, k`;

const INSERT_FOLLOWUPS = `
INSERT INTO followups (id, org_id, lead_id, status, type, call_date, scheduled_at, summary, notes, call_id, recording_url,
  duration_ms, phone_number, direction, disconnection_reason, is_retry, created_on, created_by, last_updated_on, last_updated_by, version)
SELECT 'fu_' || substr(md5('fu:' || $1 || ':' || g || ':' || k), 1, 20), $1, l.lead_id,
  (${sqlArray(FOLLOWUP_STATUSES)})[1 + (g * ${PER_LEAD} + k) % ${FOLLOWUP_STATUSES.length}],
  (${sqlArray(FOLLOWUP_TYPES)})[1 + (g + k) % ${FOLLOWUP_TYPES.length}],
  l.t + make_interval(hours => k), l.t + make_interval(days => k), 'Attempt ' || k || ' for item ' || g, NULL,
  'call-' || g || '-' || k, NULL, (g * k * 7919) % 600000, '+1555' || lpad((g * 10 + k)::text, 7, '0'),
  CASE WHEN k % 2 = 0 THEN 'INBOUND' ELSE 'OUTBOUND' END, NULL, k > 1,
  l.t + make_interval(secs => k), 'bench', l.t + make_interval(secs => k), 'bench', 1
${CHILDREN} ORDER BY g, k`;

export interface SeedResult {
  seeded: boolean;
  ms: number;
}

/** Seeds the dataset unless the marker says it is there already; `reseed` replaces it. */
export async function ensureDataset(client: Client, options: { reseed: boolean; log: (line: string) => void }): Promise<SeedResult> {
  const started = Date.now();
  const present = await client.query("SELECT 1 FROM lead_reasons WHERE org_id = $1 AND reason = $2", [READ_ORG, MARKER]);
  if (present.rowCount && !options.reseed) return { seeded: false, ms: 0 };

  await client.query("BEGIN");
  try {
    for (const org of ORGS) {
      // Children first: faster than leaning on ON DELETE CASCADE row by row.
      for (const table of ["followups", "follow_up_details", "status_logs", "leads", "lead_reasons", "lead_sub_statuses"])
        await client.query(`DELETE FROM ${table} WHERE org_id = $1`, [org]);
    }
    for (const org of ORGS) {
      options.log(`seeding ${org}: ${LEADS_PER_ORG} leads, ${LEADS_PER_ORG * PER_LEAD} each of follow-up details, status logs, followups`);
      await client.query("INSERT INTO lead_reasons (id, org_id, reason) VALUES ($1, $2, 'Customer request')", [reasonId(org), org]);
      await client.query(INSERT_LEADS, [org, LEADS_PER_ORG]);
      await client.query(INSERT_FOLLOW_UP_DETAILS, [org, LEADS_PER_ORG]);
      await client.query(INSERT_STATUS_LOGS, [org, LEADS_PER_ORG, reasonId(org)]);
      await client.query(INSERT_FOLLOWUPS, [org, LEADS_PER_ORG]);
    }
    await client.query("INSERT INTO lead_reasons (id, org_id, reason) VALUES ($1, $2, $3)", [
      `rsn_${md5(MARKER).slice(0, 20)}`,
      READ_ORG,
      MARKER,
    ]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  for (const table of ["leads", "follow_up_details", "status_logs", "followups", "lead_reasons"]) await client.query(`VACUUM ANALYZE ${table}`);
  return { seeded: true, ms: Date.now() - started };
}

/** WRITE_ORG's leads whose status `updateLeadStatus` can flip between OPEN and ON_HOLD. */
export async function flippableLeads(client: Client): Promise<Map<string, "OPEN" | "ON_HOLD">> {
  const { rows } = await client.query<{ id: string; status: "OPEN" | "ON_HOLD" }>(
    "SELECT id, status FROM leads WHERE org_id = $1 AND status IN ('OPEN', 'ON_HOLD') AND sub_status IS NULL",
    [WRITE_ORG],
  );
  return new Map(rows.map((r) => [r.id, r.status]));
}
