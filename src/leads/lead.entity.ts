import { Field, ID, Int, ObjectType } from "type-graphql";
import { GraphQLJSONObject } from "graphql-scalars";
import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { Node } from "../node/node.interface";
import { TimestampColumn } from "../common/columns";
import { FollowUpState, LeadStatus, LeadType } from "./lead.enums";
import { FollowUpStep } from "./follow-up-step";
import { followUpStateOf } from "./follow-up-schedule";

// simpleResolvers: a plain field is read straight off the object, without type-graphql's per-field
// wrapper. Scopes are checked on operations and @FieldResolver methods, never on a plain @Field.
@ObjectType({ implements: Node, simpleResolvers: true, description: "A sales lead: a customer's interest in an item, brand or category, with its follow-up schedule." })
@Entity("leads")
@Index("leads_org_created", ["orgId", "createdOn", "id"])
@Index("leads_org_updated", ["orgId", "lastUpdatedOn", "id"])
@Index("leads_org_status_created", ["orgId", "status", "createdOn", "id"])
// Newest first within an owner or a customer, straight off the index.
@Index("leads_org_owner_created", ["orgId", "owner", "createdOn", "id"])
@Index("leads_org_user_created", ["orgId", "userId", "createdOn", "id"])
// NEXT_FOLLOW_UP order, NULLs last either way: on COALESCE(next_follow_up, ±infinity), see LeadService
// (expression indexes, made by migration LeadKeysetIndexes).
@Index("leads_org_next_follow_up_asc", { synchronize: false })
@Index("leads_org_next_follow_up_desc", { synchronize: false })
// The follow-up timers' due scan across orgs (partial, made by migration DueTimers).
@Index("leads_due", { synchronize: false })
@Index("leads_org_type", ["orgId", "type"])
@Index("leads_org_sub_status", ["orgId", "subStatus"])
@Index("leads_org_source", ["orgId", "orgSourceId"])
export class Lead implements Node {
  @Field(() => ID, { description: "Opaque id, `lead_…`." })
  @PrimaryColumn({ type: "varchar", length: 40 })
  id: string;

  /** The tenant; never exposed. */
  @Column({ name: "org_id", type: "varchar", length: 128 })
  orgId: string;

  @Field(() => String, { nullable: true, description: "The customer the lead is for." })
  @Column({ name: "user_id", type: "varchar", length: 128, nullable: true })
  userId: string | null;

  @Field(() => LeadType, { description: "What `leadFor` names." })
  @Column({ type: "varchar", length: 16 })
  type: LeadType;

  @Field({ description: "The item, SKU, brand or category the lead is for." })
  @Column({ name: "lead_for", type: "varchar", length: 255 })
  leadFor: string;

  @Field(() => LeadStatus, { description: "Current status." })
  @Column({ type: "varchar", length: 16 })
  status: LeadStatus;

  @Field(() => String, { nullable: true, description: "Sub-status within the status, one defined with `createLeadSubStatus`." })
  @Column({ name: "sub_status", type: "varchar", length: 100, nullable: true })
  subStatus: string | null;

  @Field(() => String, { nullable: true, description: "Username of the associate who owns the lead; null when unassigned." })
  @Column({ type: "varchar", length: 128, nullable: true })
  owner: string | null;

  @Field(() => String, { nullable: true, description: "The lead's email address." })
  @Column({ type: "varchar", length: 254, nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true, description: "IANA time zone name, e.g. America/New_York." })
  @Column({ type: "varchar", length: 64, nullable: true })
  timezone: string | null;

  @Field(() => GraphQLJSONObject, { description: "Free-form key/value fields (Capillary extendedFields, Apten additionalInfo)." })
  @Column({ name: "extended_fields", type: "jsonb", default: () => "'{}'::jsonb" })
  // `any`: arbitrary JSON, and `unknown` defeats TypeORM's insert typing
  extendedFields: Record<string, any>;

  @Field(() => Date, { nullable: true, description: "When the next follow-up is due: the follow-up timer." })
  @TimestampColumn("next_follow_up", { nullable: true })
  nextFollowUp: Date | null;

  @Field(() => Date, { nullable: true, description: "The latest `followedUpOn` recorded with `updateLeadFollowups`." })
  @TimestampColumn("last_follow_up", { nullable: true })
  lastFollowUp: Date | null;

  @Field(() => Int, { nullable: true, description: "Scheduled step: null, a step 1..n, -1 STOPPED, -2 LONG_TERM." })
  @Column({ name: "follow_up_step", type: "int", nullable: true })
  followUpStep: number | null;

  @Field(() => [FollowUpStep], { description: "The follow-up schedule, ordered by step." })
  @Column({ name: "follow_up_config", type: "jsonb", default: () => "'[]'::jsonb" })
  followUpConfig: FollowUpStep[];

  @Field({ description: "Whether steps' `strategyIds` take effect." })
  @Column({ name: "use_strategies_for_follow_ups", type: "boolean", default: false })
  useStrategiesForFollowUps: boolean;

  @Field(() => Int, { nullable: true, description: "Source of the lead within the org; -1 means in store." })
  @Column({ name: "org_source_id", type: "int", nullable: true })
  orgSourceId: number | null;

  @Field({ description: "When the lead was created." })
  @TimestampColumn("created_on")
  createdOn: Date;

  @Field({ description: "Who created the lead." })
  @Column({ name: "created_by", type: "varchar", length: 128 })
  createdBy: string;

  @Field({ description: "When the lead was last changed." })
  @TimestampColumn("last_updated_on")
  lastUpdatedOn: Date;

  @Field({ description: "Who last changed the lead." })
  @Column({ name: "last_updated_by", type: "varchar", length: 128 })
  lastUpdatedBy: string;

  @Field(() => Int, { description: "Bumped by every write; pass it back as `expectedVersion` to guard against lost updates." })
  @Column({ type: "int", default: 1 })
  version: number;

  @Field(() => FollowUpState, { description: "State of the follow-up schedule, derived from `followUpStep`, `followUpConfig` and `nextFollowUp`." })
  get followUpState(): FollowUpState {
    return followUpStateOf(this);
  }
}
