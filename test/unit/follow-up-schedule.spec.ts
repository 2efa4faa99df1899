import {
  advanceOnDue,
  followUpStateOf,
  normalizeConfig,
  reschedule,
  STEP_LONG_TERM,
  STEP_STOPPED,
  strategiesDisabled,
  validateStepNumbers,
  type Schedule,
} from "../../src/leads/follow-up-schedule";
import type { FollowUpStep } from "../../src/leads/follow-up-step";
import type { FollowUpStepInput } from "../../src/leads/follow-up-step.input";
import { FollowUpChannel, FollowUpState } from "../../src/leads/lead.enums";

const NOW = new Date("2030-01-15T12:00:00.000Z");
const HOUR = 3_600_000;
const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR);

const input = (step: number, hours: number, extra: Partial<FollowUpStepInput> = {}): FollowUpStepInput =>
  Object.assign({ step, hours, channel: FollowUpChannel.TEXT }, extra) as FollowUpStepInput;

/** Three steps as stored on a lead: due after 24, 48 and 72 hours. */
const STORED: FollowUpStep[] = normalizeConfig([input(1, 24), input(2, 48), input(3, 72)]);

const current = (followUpStep: number | null, followUpConfig: FollowUpStep[] = STORED) => ({ followUpStep, followUpConfig });

/** The result as a schedule, failing the test when it is an error or null. */
function scheduled(result: ReturnType<typeof reschedule>): Schedule {
  expect(result).not.toBeNull();
  expect(result).not.toHaveProperty("errors");
  return result as Schedule;
}

function errorsOf(result: ReturnType<typeof reschedule>): Record<string, string[]> {
  expect(result).toHaveProperty("errors");
  return (result as { errors: Record<string, string[]> }).errors;
}

/** The state of a lead at `step` of STORED (3 steps), with or without a timer. */
const stateAt = (step: number | null, nextFollowUp: Date | null = at(1), config: FollowUpStep[] = STORED) =>
  followUpStateOf({ followUpStep: step, followUpConfig: config, nextFollowUp });

describe("followUpStateOf", () => {
  it("maps null to NONE, -1 to STOPPED, -2 to LONG_TERM and a step with a timer to SCHEDULED", () => {
    expect(stateAt(null)).toBe(FollowUpState.NONE);
    expect(stateAt(null, null)).toBe(FollowUpState.NONE);
    expect(stateAt(STEP_STOPPED, null)).toBe(FollowUpState.STOPPED);
    expect(stateAt(STEP_LONG_TERM, null)).toBe(FollowUpState.LONG_TERM);
    expect(stateAt(1)).toBe(FollowUpState.SCHEDULED);
    expect(stateAt(3)).toBe(FollowUpState.SCHEDULED);
    expect(stateAt(7, at(1), normalizeConfig([1, 2, 3, 4, 5, 6, 7].map((n) => input(n, 1))))).toBe(FollowUpState.SCHEDULED);
  });

  it("is COMPLETED at the last configured step without a timer, and only there", () => {
    expect(stateAt(3, null)).toBe(FollowUpState.COMPLETED);
    expect(stateAt(1, null, normalizeConfig([input(1, 1)]))).toBe(FollowUpState.COMPLETED);
    // an earlier step without a timer is still SCHEDULED (not a state the schedule leaves behind)
    expect(stateAt(2, null)).toBe(FollowUpState.SCHEDULED);
    // the last step with a timer has not fired yet
    expect(stateAt(3, at(72))).toBe(FollowUpState.SCHEDULED);
    // STOPPED / LONG_TERM keep their state whatever the config
    expect(stateAt(STEP_STOPPED, null, [])).toBe(FollowUpState.STOPPED);
    expect(stateAt(STEP_LONG_TERM, null, [])).toBe(FollowUpState.LONG_TERM);
  });

  it("uses -1 and -2 as the STOPPED and LONG_TERM markers", () => {
    expect(STEP_STOPPED).toBe(-1);
    expect(STEP_LONG_TERM).toBe(-2);
  });
});

describe("normalizeConfig", () => {
  it("sorts by step and fills voicemailEnabled=false and strategyIds=null", () => {
    const out = normalizeConfig([
      input(3, 72, { channel: FollowUpChannel.EMAIL, strategyIds: ["auto"] }),
      input(1, 1.5, { channel: FollowUpChannel.CALL, voicemailEnabled: true }),
      input(2, 48),
    ]);
    expect(out).toEqual([
      { step: 1, hours: 1.5, channel: FollowUpChannel.CALL, voicemailEnabled: true, strategyIds: null },
      { step: 2, hours: 48, channel: FollowUpChannel.TEXT, voicemailEnabled: false, strategyIds: null },
      { step: 3, hours: 72, channel: FollowUpChannel.EMAIL, voicemailEnabled: false, strategyIds: ["auto"] },
    ]);
  });

  it("treats an explicit null voicemailEnabled as false and does not mutate its argument", () => {
    const given = [input(2, 5, { voicemailEnabled: null }), input(1, 3)];
    const copy = JSON.parse(JSON.stringify(given));
    const out = normalizeConfig(given);
    expect(out.map((s) => s.voicemailEnabled)).toEqual([false, false]);
    expect(JSON.parse(JSON.stringify(given))).toEqual(copy);
  });

  it("keeps only the stored properties", () => {
    const [step] = normalizeConfig([Object.assign(input(1, 2), { extra: "x" })]);
    expect(Object.keys(step).sort()).toEqual(["channel", "hours", "step", "strategyIds", "voicemailEnabled"]);
  });
});

describe("validateStepNumbers", () => {
  const path = "input.followUpConfig";

  it("accepts 1..n in any order, and an empty schedule", () => {
    expect(validateStepNumbers([input(1, 1)], path)).toEqual({});
    expect(validateStepNumbers([input(2, 1), input(3, 1), input(1, 1)], path)).toEqual({});
    expect(validateStepNumbers([], path)).toEqual({});
  });

  it("points a repeated step at the later element", () => {
    const errors = validateStepNumbers([input(1, 1), input(2, 1), input(2, 1)], path);
    expect(Object.keys(errors)).toEqual(["input.followUpConfig.2.step"]);
    expect(errors["input.followUpConfig.2.step"][0]).toMatch(/more than once/);
  });

  it("points a gap (a step beyond n) at its element", () => {
    const errors = validateStepNumbers([input(1, 1), input(3, 1)], path);
    expect(Object.keys(errors)).toEqual(["input.followUpConfig.1.step"]);
    expect(errors["input.followUpConfig.1.step"][0]).toMatch(/1\.\.2/);
  });

  it("refuses steps below 1 (0 and negative numbers are not in 1..n)", () => {
    expect(Object.keys(validateStepNumbers([input(0, 1), input(1, 1)], path))).toEqual(["input.followUpConfig.0.step"]);
    expect(Object.keys(validateStepNumbers([input(1, 1), input(-1, 1)], path))).toEqual(["input.followUpConfig.1.step"]);
  });

  it("uses the path it is given", () => {
    expect(Object.keys(validateStepNumbers([input(2, 1)], "x.cfg"))).toEqual(["x.cfg.0.step"]);
  });
});

describe("reschedule", () => {
  it("returns null when neither followUpStep nor followUpConfig is given", () => {
    expect(reschedule(current(2), {}, NOW)).toBeNull();
    expect(reschedule(current(2), { followUpConfig: null }, NOW)).toBeNull();
  });

  describe("step only", () => {
    it.each([1, 2, 3])("schedules step %i, due now + that step's hours, under the current config", (step) => {
      const s = scheduled(reschedule(current(1), { followUpStep: step }, NOW));
      expect(s.followUpStep).toBe(step);
      expect(s.followUpConfig).toBe(STORED);
      expect(s.nextFollowUp).toEqual(at(24 * step));
    });

    it("restarts the timer of the current step", () => {
      const s = scheduled(reschedule(current(2), { followUpStep: 2 }, NOW));
      expect(s.nextFollowUp).toEqual(at(48));
    });

    it("supports fractional hours", () => {
      const s = scheduled(reschedule(current(null, normalizeConfig([input(1, 0.25)])), { followUpStep: 1 }, NOW));
      expect(s.nextFollowUp).toEqual(new Date(NOW.getTime() + 15 * 60_000));
    });

    it.each([
      [STEP_STOPPED, FollowUpState.STOPPED],
      [STEP_LONG_TERM, FollowUpState.LONG_TERM],
    ])("%i stops the timer (%s)", (step, state) => {
      const s = scheduled(reschedule(current(2), { followUpStep: step }, NOW));
      expect(s.followUpStep).toBe(step);
      expect(followUpStateOf(s)).toBe(state);
      expect(s.nextFollowUp).toBeNull();
      expect(s.followUpConfig).toBe(STORED);
    });

    it("allows -1 and -2 without any config", () => {
      expect(scheduled(reschedule(current(null, []), { followUpStep: -1 }, NOW)).followUpStep).toBe(-1);
      expect(scheduled(reschedule(current(null, []), { followUpStep: -2 }, NOW)).followUpStep).toBe(-2);
    });

    it.each([0, 4, -3, 1.5, null])("refuses %p on input.followUpStep with 3 steps", (step) => {
      const errors = errorsOf(reschedule(current(1), { followUpStep: step as number | null }, NOW));
      expect(Object.keys(errors)).toEqual(["input.followUpStep"]);
    });

    it("refuses step 1 when no config exists", () => {
      expect(Object.keys(errorsOf(reschedule(current(null, []), { followUpStep: 1 }, NOW)))).toEqual(["input.followUpStep"]);
    });
  });

  describe("config only", () => {
    const config = [input(2, 10), input(1, 5), input(3, 15)];

    it("keeps the current step with the new timing", () => {
      const s = scheduled(reschedule(current(2), { followUpConfig: config }, NOW));
      expect(s.followUpStep).toBe(2);
      expect(s.followUpConfig.map((c) => c.step)).toEqual([1, 2, 3]);
      expect(s.nextFollowUp).toEqual(at(10));
    });

    it("schedules step 1 when there is no current step", () => {
      const s = scheduled(reschedule(current(null, []), { followUpConfig: config }, NOW));
      expect(s.followUpStep).toBe(1);
      expect(s.nextFollowUp).toEqual(at(5));
    });

    it.each([STEP_STOPPED, STEP_LONG_TERM])("keeps a current step of %i with no timer", (step) => {
      const s = scheduled(reschedule(current(step), { followUpConfig: config }, NOW));
      expect(s.followUpStep).toBe(step);
      expect(s.nextFollowUp).toBeNull();
      expect(s.followUpConfig).toHaveLength(3);
    });

    it("an empty config leaves no step scheduled", () => {
      const s = scheduled(reschedule(current(2), { followUpConfig: [] }, NOW));
      expect(s).toEqual({ followUpStep: null, followUpConfig: [], nextFollowUp: null });
    });

    it("refuses a config without the current step, on input.followUpConfig", () => {
      const errors = errorsOf(reschedule(current(3), { followUpConfig: [input(1, 1), input(2, 2)] }, NOW));
      expect(Object.keys(errors)).toEqual(["input.followUpConfig"]);
    });

    it("refuses badly numbered steps with the element's path", () => {
      expect(Object.keys(errorsOf(reschedule(current(1), { followUpConfig: [input(1, 1), input(1, 2)] }, NOW)))).toEqual([
        "input.followUpConfig.1.step",
      ]);
      expect(Object.keys(errorsOf(reschedule(current(1), { followUpConfig: [input(2, 1)] }, NOW)))).toEqual([
        "input.followUpConfig.0.step",
      ]);
    });
  });

  describe("both", () => {
    it("schedules the given step under the new config", () => {
      const s = scheduled(reschedule(current(1), { followUpStep: 2, followUpConfig: [input(1, 1), input(2, 7)] }, NOW));
      expect(s.followUpStep).toBe(2);
      expect(s.followUpConfig.map((c) => c.hours)).toEqual([1, 7]);
      expect(s.nextFollowUp).toEqual(at(7));
    });

    it("judges the step against the new config, not the old one", () => {
      // 3 is valid under the stored 3 steps but not under the new 2
      expect(Object.keys(errorsOf(reschedule(current(1), { followUpStep: 3, followUpConfig: [input(1, 1), input(2, 2)] }, NOW)))).toEqual([
        "input.followUpStep",
      ]);
      // 4 is not valid under the stored 3 steps but is under the new 4
      const s = scheduled(
        reschedule(current(1), { followUpStep: 4, followUpConfig: [input(1, 1), input(2, 2), input(3, 3), input(4, 4)] }, NOW),
      );
      expect(s.nextFollowUp).toEqual(at(4));
    });

    it("-1 with a new config stores the config and stops", () => {
      const s = scheduled(reschedule(current(1), { followUpStep: -1, followUpConfig: [input(1, 1)] }, NOW));
      expect(s.followUpStep).toBe(-1);
      expect(s.followUpConfig).toHaveLength(1);
      expect(s.nextFollowUp).toBeNull();
    });

    it("reports config numbering errors first", () => {
      const errors = errorsOf(reschedule(current(1), { followUpStep: 9, followUpConfig: [input(1, 1), input(1, 1)] }, NOW));
      expect(Object.keys(errors)).toEqual(["input.followUpConfig.1.step"]);
    });
  });

  it("uses the path prefix it is given", () => {
    expect(Object.keys(errorsOf(reschedule(current(1), { followUpStep: 0 }, NOW, "args")))).toEqual(["args.followUpStep"]);
  });
});

describe("reschedule never leaves a positive step COMPLETED", () => {
  it.each([1, 2, 3])("scheduling step %i (even the last) gives it a timer: SCHEDULED", (step) => {
    expect(followUpStateOf(scheduled(reschedule(current(3, STORED), { followUpStep: step }, NOW)))).toBe(FollowUpState.SCHEDULED);
  });

  it("a new config keeps the last step with a fresh timer: SCHEDULED", () => {
    const s = scheduled(reschedule(current(3), { followUpConfig: [input(1, 1), input(2, 2), input(3, 3)] }, NOW));
    expect(followUpStateOf(s)).toBe(FollowUpState.SCHEDULED);
  });
});

describe("advanceOnDue", () => {
  const due = (followUpStep: number | null, nextFollowUp = at(5), followUpConfig: FollowUpStep[] = STORED) =>
    advanceOnDue({ followUpStep, followUpConfig, nextFollowUp });
  const config = normalizeConfig([
    input(1, 1, { channel: FollowUpChannel.CALL, voicemailEnabled: true }),
    input(2, 0.5, { channel: FollowUpChannel.EMAIL, strategyIds: ["auto"] }),
    input(3, 2, { strategyIds: ["s1", "s2"] }),
  ]);

  it("step k < n: reports step k and schedules k+1, due the timer's instant + hours(k+1)", () => {
    const { due: d, next } = due(1, at(5), config);
    expect(d).toEqual({ step: 1, channel: FollowUpChannel.CALL, voicemailEnabled: true, strategyIds: null, dueOn: at(5).toISOString() });
    expect(next).toEqual({ followUpStep: 2, nextFollowUp: at(5.5) });
    expect(followUpStateOf({ ...next, followUpConfig: config })).toBe(FollowUpState.SCHEDULED);

    const second = due(2, at(5.5), config);
    expect(second.due).toEqual({ step: 2, channel: FollowUpChannel.EMAIL, voicemailEnabled: false, strategyIds: ["auto"], dueOn: at(5.5).toISOString() });
    expect(second.next).toEqual({ followUpStep: 3, nextFollowUp: at(7.5) });
  });

  it("the last step n: reports it, keeps step n and clears the timer: COMPLETED", () => {
    const { due: d, next } = due(3, at(7.5), config);
    expect(d).toEqual({ step: 3, channel: FollowUpChannel.TEXT, voicemailEnabled: false, strategyIds: ["s1", "s2"], dueOn: at(7.5).toISOString() });
    expect(next).toEqual({ followUpStep: 3, nextFollowUp: null });
    expect(followUpStateOf({ ...next, followUpConfig: config })).toBe(FollowUpState.COMPLETED);
  });

  it("a one-step schedule completes at its first timer", () => {
    const one = normalizeConfig([input(1, 4)]);
    const { next } = due(1, at(1), one);
    expect(followUpStateOf({ ...next, followUpConfig: one })).toBe(FollowUpState.COMPLETED);
  });

  it("a timer without a schedule: nulls and no timer, the step (none) kept", () => {
    const { due: d, next } = due(null, at(2), []);
    expect(d).toEqual({ step: null, channel: null, voicemailEnabled: null, strategyIds: null, dueOn: at(2).toISOString() });
    expect(next).toEqual({ followUpStep: null, nextFollowUp: null });
    expect(followUpStateOf({ ...next, followUpConfig: [] })).toBe(FollowUpState.NONE);
  });

  it.each([STEP_STOPPED, STEP_LONG_TERM])("a timer on a lead at %i (set by hand) fires without a schedule and keeps the step", (step) => {
    const { due: d, next } = due(step);
    expect(d.step).toBeNull();
    expect(next).toEqual({ followUpStep: step, nextFollowUp: null });
  });

  it("keeps the step of a stored step missing from the config, firing without a schedule", () => {
    const { due: d, next } = due(5);
    expect(d.step).toBeNull();
    expect(next).toEqual({ followUpStep: 5, nextFollowUp: null });
  });

  it("runs a whole schedule to COMPLETED, one step per timer", () => {
    let s = { followUpStep: 1 as number | null, followUpConfig: STORED, nextFollowUp: at(24) as Date | null };
    const steps: Array<number | null> = [];
    while (s.nextFollowUp) {
      const { due: d, next } = advanceOnDue({ ...s, nextFollowUp: s.nextFollowUp });
      steps.push(d.step);
      s = { ...s, ...next };
    }
    expect(steps).toEqual([1, 2, 3]);
    expect(followUpStateOf(s)).toBe(FollowUpState.COMPLETED);
  });
});

describe("strategiesDisabled", () => {
  const withIds = normalizeConfig([input(1, 1), input(2, 1, { strategyIds: ["s1"] })]);
  const withAuto = normalizeConfig([input(1, 1, { strategyIds: ["auto"] })]);
  const without = normalizeConfig([input(1, 1), input(2, 1)]);

  it("is true when a step has strategyIds and the flag is off", () => {
    expect(strategiesDisabled(withIds, false)).toBe(true);
    expect(strategiesDisabled(withAuto, false)).toBe(true);
  });

  it("is false when the flag is on", () => {
    expect(strategiesDisabled(withIds, true)).toBe(false);
  });

  it("is false when no step has strategyIds, or there are no steps", () => {
    expect(strategiesDisabled(without, false)).toBe(false);
    expect(strategiesDisabled([], false)).toBe(false);
    expect(strategiesDisabled([{ ...without[0], strategyIds: [] }], false)).toBe(false);
  });

  it("tolerates stored steps without a strategyIds key", () => {
    const legacy = [{ step: 1, hours: 1, channel: FollowUpChannel.TEXT, voicemailEnabled: false }] as unknown as FollowUpStep[];
    expect(strategiesDisabled(legacy, false)).toBe(false);
  });
});
