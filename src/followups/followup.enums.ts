import { registerEnumType } from "type-graphql";

export enum FollowupStatus {
  ON_HOLD = "ON_HOLD",
  SCHEDULED = "SCHEDULED",
  IN_PROGRESS = "IN_PROGRESS",
  SENT = "SENT",
  DELIVERED = "DELIVERED",
  DEAL_FOUND = "DEAL_FOUND",
  NO_ANSWER = "NO_ANSWER",
  DEAL_NOT_FOUND = "DEAL_NOT_FOUND",
  BAD_BEHAVIOR = "BAD_BEHAVIOR",
  FAILED = "FAILED",
  CANCELLED = "CANCELLED",
}

export enum FollowupType {
  CALL = "CALL",
  EMAIL = "EMAIL",
  SMS = "SMS",
  WHATSAPP = "WHATSAPP",
  VOICEMAIL = "VOICEMAIL",
  MANUAL_CALL = "MANUAL_CALL",
  PHYSICAL = "PHYSICAL",
  POSTMAIL = "POSTMAIL",
}

export enum CallDirection {
  INBOUND = "INBOUND",
  OUTBOUND = "OUTBOUND",
}

registerEnumType(FollowupStatus, {
  name: "FollowupStatus",
  description: "Where a follow-up activity stands (GetBill followup status).",
  valuesConfig: {
    ON_HOLD: { description: "Created but not scheduled yet (the default)." },
    SCHEDULED: { description: "Scheduled for `scheduledAt`." },
    IN_PROGRESS: { description: "Being carried out now." },
    SENT: { description: "A message was sent." },
    DELIVERED: { description: "A message was delivered." },
    DEAL_FOUND: { description: "The customer agreed." },
    NO_ANSWER: { description: "Nobody answered." },
    DEAL_NOT_FOUND: { description: "Reached the customer, no agreement." },
    BAD_BEHAVIOR: { description: "The customer behaved abusively." },
    FAILED: { description: "The attempt failed (technical or delivery failure)." },
    CANCELLED: { description: "Cancelled before it was carried out." },
  },
});

registerEnumType(FollowupType, {
  name: "FollowupType",
  description: "The kind of follow-up activity.",
  valuesConfig: {
    CALL: { description: "An automated or dialer call." },
    EMAIL: { description: "An email." },
    SMS: { description: "A text message." },
    WHATSAPP: { description: "A WhatsApp message." },
    VOICEMAIL: { description: "A voicemail drop." },
    MANUAL_CALL: { description: "A call placed by a person." },
    PHYSICAL: { description: "A visit in person." },
    POSTMAIL: { description: "A letter by post." },
  },
});

registerEnumType(CallDirection, {
  name: "CallDirection",
  description: "Who placed the call.",
  valuesConfig: {
    INBOUND: { description: "The customer called in." },
    OUTBOUND: { description: "We called the customer." },
  },
});
