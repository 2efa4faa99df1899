import { formatIsoUtc } from "../common/date-time";
import type { FieldErrors } from "../common/errors";
import { FollowUpState, type FollowUpChannel } from "./lead.enums";
import type { FollowUpStep } from "./follow-up-step";
import type { FollowUpStepInput } from "./follow-up-step.input";

/**
 * The follow-up schedule rules (Apten "Follow-up Scheduling Behavior"), pure so that they can be
 * unit-tested: which step is scheduled, when it is due, and what state that puts the lead in.
 */

export const STEP_STOPPED = -1;
export const STEP_LONG_TERM = -2;

export interface Schedule {
  followUpStep: number | null;
  followUpConfig: FollowUpStep[];
  nextFollowUp: Date | null;
}

/**
 * The schedule's state. A positive step is COMPLETED once it is the last configured step and has
 * no timer: a step is only ever scheduled with a timer (`reschedule`), so that is the state the
 * last step's timer leaves behind when it fires (`advanceOnDue`). Any other positive step is
 * SCHEDULED.
 */
export function followUpStateOf({ followUpStep: step, followUpConfig: config, nextFollowUp }: Schedule): FollowUpState {
  if (step === null) return FollowUpState.NONE;
  if (step === STEP_STOPPED) return FollowUpState.STOPPED;
  if (step === STEP_LONG_TERM) return FollowUpState.LONG_TERM;
  if (nextFollowUp === null && step >= 1 && step >= config.length) return FollowUpState.COMPLETED;
  return FollowUpState.SCHEDULED;
}

export interface ScheduleChange {
  followUpStep?: number | null;
  followUpConfig?: FollowUpStepInput[] | null;
}

/** Steps sorted, with optional flags filled in, as stored on the lead. */
export function normalizeConfig(config: FollowUpStepInput[]): FollowUpStep[] {
  return [...config]
    .sort((a, b) => a.step - b.step)
    .map((s) => ({
      step: s.step,
      hours: s.hours,
      channel: s.channel,
      voicemailEnabled: s.voicemailEnabled ?? false,
      strategyIds: s.strategyIds ?? null,
    }));
}

/** Steps must be unique and numbered 1..n. Errors point at the offending element's `step`. */
export function validateStepNumbers(config: FollowUpStepInput[], path: string): FieldErrors {
  const errors: FieldErrors = {};
  const seen = new Set<number>();
  config.forEach((s, i) => {
    if (seen.has(s.step)) errors[`${path}.${i}.step`] = [`step ${s.step} appears more than once`];
    else if (!Number.isInteger(s.step) || s.step < 1 || s.step > config.length)
      errors[`${path}.${i}.step`] = [`steps must be numbered 1..${config.length}; ${s.step} is out of range`];
    seen.add(s.step);
  });
  return errors;
}

const HOUR_MS = 3_600_000;

/**
 * Applies a change of `followUpStep` and/or `followUpConfig` to the current schedule. The timer
 * restarts whenever either is given:
 * - step only: that step is scheduled, due `now + its hours`;
 * - config only: the current step is kept (step 1 when there is none) with the new timing;
 * - both: the given step under the new config;
 * - -1 / -2 (given or kept): STOPPED / LONG_TERM with no timer.
 * Returns field errors instead when the change is not valid, and null when neither is given.
 */
export function reschedule(
  current: Pick<Schedule, "followUpStep" | "followUpConfig">,
  change: ScheduleChange,
  now: Date,
  path = "input",
): Schedule | { errors: FieldErrors } | null {
  const stepGiven = change.followUpStep !== undefined;
  const configGiven = change.followUpConfig !== undefined && change.followUpConfig !== null;
  if (!stepGiven && !configGiven) return null;
  if (configGiven) {
    const errors = validateStepNumbers(change.followUpConfig!, `${path}.followUpConfig`);
    if (Object.keys(errors).length) return { errors };
  }
  const config = configGiven ? normalizeConfig(change.followUpConfig!) : current.followUpConfig;
  const n = config.length;

  let step: number | null;
  if (stepGiven) {
    step = change.followUpStep ?? null;
    if (!isAllowedStep(step, n)) {
      const range = n > 0 ? `1..${n}, ` : "";
      return {
        errors: {
          [`${path}.followUpStep`]: [`followUpStep must be ${range}-1 (STOPPED) or -2 (LONG_TERM) with ${n} step(s) configured`],
        },
      };
    }
  } else {
    step = current.followUpStep;
    if (step === null || step > 0) {
      if (n === 0) step = null;
      else if (step === null) step = 1;
      else if (step > n) {
        return {
          errors: {
            [`${path}.followUpConfig`]: [
              `the current step ${step} is not in the new schedule of ${n} step(s); pass followUpStep as well`,
            ],
          },
        };
      }
    }
  }

  const scheduled = step !== null && step > 0 ? config[step - 1] : undefined;
  return {
    followUpStep: step,
    followUpConfig: config,
    nextFollowUp: scheduled ? new Date(now.getTime() + scheduled.hours * HOUR_MS) : null,
  };
}

function isAllowedStep(step: number | null, n: number): step is number {
  return step !== null && Number.isInteger(step) && (step === STEP_STOPPED || step === STEP_LONG_TERM || (step >= 1 && step <= n));
}

/** Apten: `strategyIds` take effect only while `useStrategiesForFollowUps` is on. */
export function strategiesDisabled(config: FollowUpStep[], useStrategies: boolean): boolean {
  // `?.`: stored JSON written outside normalizeConfig may lack the key
  return !useStrategies && config.some((s) => (s.strategyIds?.length ?? 0) > 0);
}

/** A passed timer's event data (API.md "Follow-up timers"); the step's fields are null for a timer without a schedule. */
export interface FollowUpDue {
  step: number | null;
  channel: FollowUpChannel | null;
  voicemailEnabled: boolean | null;
  strategyIds: string[] | null;
  /** The timer's instant, ISO 8601. */
  dueOn: string;
}

/**
 * What a passed timer does: the step it was for (when the lead has a step 1..n of its schedule)
 * and the schedule that follows. Step k < n schedules step k+1, due its hours after the timer's
 * own instant (not after the moment it fired, so that a late poll does not shift the schedule);
 * the last step, or a timer without a schedule, leaves no timer.
 */
export function advanceOnDue(current: Schedule & { nextFollowUp: Date }): { due: FollowUpDue; next: Pick<Schedule, "followUpStep" | "nextFollowUp"> } {
  const dueOn = current.nextFollowUp;
  const step = current.followUpStep;
  const scheduled = step !== null && step >= 1 ? current.followUpConfig[step - 1] : undefined;
  const due: FollowUpDue = {
    step: scheduled ? step : null,
    channel: scheduled?.channel ?? null,
    voicemailEnabled: scheduled ? scheduled.voicemailEnabled ?? false : null,
    strategyIds: scheduled?.strategyIds ?? null,
    dueOn: formatIsoUtc(dueOn.getTime()),
  };
  // config[step] is step k+1 (steps are stored sorted, numbered 1..n)
  const following = scheduled ? current.followUpConfig[step!] : undefined;
  return {
    due,
    next: following
      ? { followUpStep: following.step, nextFollowUp: new Date(dueOn.getTime() + following.hours * HOUR_MS) }
      : { followUpStep: step, nextFollowUp: null },
  };
}
