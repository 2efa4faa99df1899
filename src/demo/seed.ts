import type { DataSource, EntityManager } from "typeorm";
import { newId } from "../common/ids";
import { Followup } from "../followups/followup.entity";
import { CallDirection, FollowupStatus, FollowupType } from "../followups/followup.enums";
import { FollowUpDetail } from "../leads/follow-up-detail.entity";
import { Lead } from "../leads/lead.entity";
import { FollowUpChannel, LeadStatus, LeadType } from "../leads/lead.enums";
import { LeadReason } from "../leads/lead-reason.entity";
import { LeadSubStatus } from "../leads/lead-sub-status.entity";
import { StatusLog } from "../leads/status-log.entity";

export const DEMO_ORG = "demo";
const LEAD_COUNT = 36;
const DAY = 86_400_000;

const REASONS = ["Customer request", "Price too high", "Bought elsewhere", "Purchased in store", "No response", "Duplicate lead"];
const SUB_STATUSES: Array<[LeadStatus, string]> = [
  [LeadStatus.OPEN, "New"],
  [LeadStatus.OPEN, "Contacted"],
  [LeadStatus.ON_HOLD, "Customer travelling"],
  [LeadStatus.WON, "In store"],
  [LeadStatus.WON, "Online"],
  [LeadStatus.LOST, "Price"],
  [LeadStatus.LOST, "Competitor"],
];
const ITEMS: Array<[LeadType, string]> = [
  [LeadType.SKU, "SKU-1042 Trail running shoes"],
  [LeadType.SKU, "SKU-2210 Espresso machine"],
  [LeadType.SKU, "SKU-3307 4K television 55\""],
  [LeadType.BRAND, "Nordlicht outdoor"],
  [LeadType.BRAND, "Casa Verde kitchen"],
  [LeadType.CATEGORY, "Winter jackets"],
  [LeadType.CATEGORY, "Home office furniture"],
  [LeadType.CUSTOM, "Wedding gift registry"],
];
/** Two steps of minutes: step 1 due 1.2, 2.4 or 3.6 minutes after seeding, step 2 1.2 minutes later. */
const QUICK_SCHEDULES = [0.02, 0.04, 0.06].map((firstHours) => [
  { step: 1, hours: firstHours, channel: FollowUpChannel.CALL, voicemailEnabled: true, strategyIds: null },
  { step: 2, hours: 0.02, channel: FollowUpChannel.EMAIL, voicemailEnabled: false, strategyIds: ["auto"] },
]);
const OWNERS = ["asha", "ben", "chen", null];
const TIMEZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", null];

/** Mulberry32: the same demo data on every machine. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills org `demo` when it has no leads yet. Returns whether it seeded. */
export async function seedDemoData(ds: DataSource, now = new Date()): Promise<boolean> {
  return ds.transaction(async (tx) => {
    if (await tx.existsBy(Lead, { orgId: DEMO_ORG })) return false;
    await insertDemoData(tx, now);
    return true;
  });
}

/** `npm run seed`: replaces org `demo`'s data with fresh demo data. */
export async function resetDemoData(ds: DataSource, now = new Date()): Promise<void> {
  await ds.transaction(async (tx) => {
    for (const entity of [Followup, FollowUpDetail, StatusLog, Lead, LeadReason, LeadSubStatus])
      await tx.delete(entity, { orgId: DEMO_ORG });
    await insertDemoData(tx, now);
  });
}

async function insertDemoData(tx: EntityManager, now: Date) {
  const rand = prng(20261120);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const at = (daysAgo: number) => new Date(now.getTime() - Math.round(daysAgo * DAY));

  const reasons = REASONS.map((reason) => ({ id: newId("reason"), orgId: DEMO_ORG, reason }));
  await tx.insert(LeadReason, reasons);
  await tx.insert(LeadSubStatus, SUB_STATUSES.map(([status, subStatus]) => ({ orgId: DEMO_ORG, status, subStatus })));
  const subStatusesOf = (status: LeadStatus) => SUB_STATUSES.filter(([s]) => s === status).map(([, sub]) => sub);

  let scheduledSoFar = 0;
  const finals = [LeadStatus.OPEN, LeadStatus.OPEN, LeadStatus.OPEN, LeadStatus.ON_HOLD, LeadStatus.WON, LeadStatus.LOST, LeadStatus.DELETED];
  for (let i = 0; i < LEAD_COUNT; i++) {
    const [type, leadFor] = ITEMS[i % ITEMS.length];
    const createdDaysAgo = 60 - i * 1.5;
    const finalStatus = finals[i % finals.length];
    const path: LeadStatus[] =
      finalStatus === LeadStatus.OPEN
        ? [LeadStatus.OPEN]
        : finalStatus === LeadStatus.DELETED
          ? [LeadStatus.OPEN, LeadStatus.LOST, LeadStatus.DELETED]
          : [LeadStatus.OPEN, finalStatus];
    const scheduled = finalStatus === LeadStatus.OPEN && i % 2 === 0;
    // The first few scheduled leads run a short schedule, so that the playground's events
    // subscription shows LEAD_FOLLOW_UP_DUE within minutes of the first start.
    const quick = scheduled ? QUICK_SCHEDULES[scheduledSoFar++] : undefined;
    const config = !scheduled
      ? []
      : (quick ?? [
          { step: 1, hours: 24, channel: FollowUpChannel.CALL, voicemailEnabled: true, strategyIds: null },
          { step: 2, hours: 72, channel: FollowUpChannel.EMAIL, voicemailEnabled: false, strategyIds: ["auto"] },
          { step: 3, hours: 168, channel: FollowUpChannel.TEXT, voicemailEnabled: false, strategyIds: null },
        ]);
    const lastChange = at(Math.max(createdDaysAgo - path.length * 2, 0.2));
    const subStatus = pick([null, ...subStatusesOf(finalStatus)]);
    const lead: Omit<Lead, "followUpState"> = {
      id: newId("lead"),
      orgId: DEMO_ORG,
      userId: `cust-${1000 + i}`,
      type,
      leadFor,
      status: finalStatus,
      subStatus,
      owner: pick(OWNERS),
      email: `customer${i + 1}@example.com`,
      timezone: pick(TIMEZONES),
      extendedFields: { budget: 100 + Math.round(rand() * 900), channel: pick(["store", "web", "phone"]), vip: rand() < 0.2 },
      nextFollowUp: scheduled ? new Date(now.getTime() + (quick ? quick[0].hours : i + 1) * 3_600_000) : null,
      lastFollowUp: null,
      followUpStep: scheduled ? 1 : finalStatus === LeadStatus.ON_HOLD ? -2 : null,
      followUpConfig: config,
      useStrategiesForFollowUps: scheduled,
      orgSourceId: pick([-1, 1, 2]),
      createdOn: at(createdDaysAgo),
      createdBy: "seed",
      lastUpdatedOn: lastChange,
      lastUpdatedBy: pick(["asha", "ben", "seed"]),
      version: path.length + 1,
    };

    const details: Partial<FollowUpDetail>[] = [];
    const detailCount = 1 + (i % 3);
    for (let d = 0; d < detailCount; d++) {
      const on = at(createdDaysAgo - 1 - d * 3);
      details.push({
        id: newId("followUpDetail"),
        orgId: DEMO_ORG,
        leadId: lead.id,
        userId: lead.userId,
        followedUpBy: pick(["asha", "ben", "chen"]),
        followedUpOn: on,
        scheduledFollowUp: on,
        nextFollowUp: new Date(on.getTime() + 3 * DAY),
        notes: pick(["Asked about delivery times.", "Wants a demo in store.", "Comparing with another brand.", "Call back after payday."]),
        createdBy: "till-07",
        createdOn: on,
      });
      lead.lastFollowUp = on;
    }

    await tx.insert(Lead, lead);
    const logs = path.map((status, step) => ({
      id: newId("statusLog"),
      orgId: DEMO_ORG,
      leadId: lead.id,
      userId: lead.userId,
      status,
      subStatus: step === path.length - 1 ? subStatus : null,
      previousStatus: step === 0 ? null : path[step - 1],
      reasonId: step === 0 ? null : reasons[i % reasons.length].id,
      reason: step === 0 ? null : reasons[i % reasons.length].reason,
      createdBy: step === 0 ? "seed" : "asha",
      createdOn: step === 0 ? lead.createdOn : at(createdDaysAgo - step * 2),
    }));
    await tx.insert(StatusLog, logs);
    await tx.insert(FollowUpDetail, details);

    const followups: Partial<Followup>[] = [];
    for (let f = 0; f < 1 + (i % 2); f++) {
      const type = pick([FollowupType.CALL, FollowupType.SMS, FollowupType.EMAIL, FollowupType.WHATSAPP]);
      const isCall = type === FollowupType.CALL;
      const created = at(createdDaysAgo - 0.5 - f);
      followups.push({
        id: newId("followup"),
        orgId: DEMO_ORG,
        leadId: lead.id,
        status: pick([FollowupStatus.SCHEDULED, FollowupStatus.DELIVERED, FollowupStatus.NO_ANSWER, FollowupStatus.DEAL_FOUND]),
        type,
        callDate: isCall ? created : null,
        scheduledAt: new Date(created.getTime() + DAY),
        summary: pick(["Left a message", "Interested, wants a quote", "Not now", null]),
        notes: null,
        callId: isCall ? `call-${i}-${f}` : null,
        recordingUrl: isCall ? `https://recordings.example.com/${i}-${f}.mp3` : null,
        durationMs: isCall ? Math.round(rand() * 300_000) : null,
        phoneNumber: isCall ? `+1415555${String(1000 + i).padStart(4, "0")}` : null,
        direction: isCall ? CallDirection.OUTBOUND : null,
        disconnectionReason: null,
        isRetry: f > 0,
        createdOn: created,
        createdBy: "seed",
        lastUpdatedOn: created,
        lastUpdatedBy: "seed",
        version: 1,
      });
    }
    await tx.insert(Followup, followups);
  }
}
