import { registerEnumType } from "type-graphql";

export enum LeadStatus {
  OPEN = "OPEN",
  WON = "WON",
  LOST = "LOST",
  ON_HOLD = "ON_HOLD",
  DELETED = "DELETED",
}

export enum LeadType {
  SKU = "SKU",
  BRAND = "BRAND",
  CATEGORY = "CATEGORY",
  CUSTOM = "CUSTOM",
}

export enum FollowUpChannel {
  TEXT = "TEXT",
  CALL = "CALL",
  EMAIL = "EMAIL",
}

export enum FollowUpState {
  NONE = "NONE",
  SCHEDULED = "SCHEDULED",
  COMPLETED = "COMPLETED",
  STOPPED = "STOPPED",
  LONG_TERM = "LONG_TERM",
}

registerEnumType(LeadStatus, {
  name: "LeadStatus",
  description: "Where a lead stands. WON and LOST are closed: from them only DELETED is allowed; from DELETED nothing.",
  valuesConfig: {
    OPEN: { description: "A new or active lead." },
    WON: { description: "Closed: the customer bought." },
    LOST: { description: "Closed: the customer did not buy." },
    ON_HOLD: { description: "Paused; can be reopened." },
    DELETED: { description: "Removed: left out of `leads` unless asked for, and no longer changeable." },
  },
});

registerEnumType(LeadType, {
  name: "LeadType",
  description: "What `leadFor` names.",
  valuesConfig: {
    SKU: { description: "A single item (SKU)." },
    BRAND: { description: "A brand." },
    CATEGORY: { description: "A product category." },
    CUSTOM: { description: "Anything else." },
  },
});

registerEnumType(FollowUpChannel, {
  name: "FollowUpChannel",
  description: "How a scheduled follow-up step reaches the customer.",
  valuesConfig: {
    TEXT: { description: "A text message." },
    CALL: { description: "A phone call (may leave a voicemail)." },
    EMAIL: { description: "An email." },
  },
});

registerEnumType(FollowUpState, {
  name: "FollowUpState",
  description: "The state of the follow-up schedule, derived from `followUpStep`, `followUpConfig` and `nextFollowUp`.",
  valuesConfig: {
    NONE: { description: "No step is scheduled (`followUpStep` is null)." },
    SCHEDULED: { description: "A step 1..n is scheduled; `nextFollowUp` is when it is due." },
    COMPLETED: { description: "The schedule's last step has fired: `followUpStep` is n, the last configured step, and `nextFollowUp` is null." },
    STOPPED: { description: "Follow-ups are stopped (`followUpStep` -1)." },
    LONG_TERM: { description: "The lead is in long-term nurture (`followUpStep` -2)." },
  },
});
