import { SerialTask } from "../../src/common/serial-task";

/** A task whose runs end when the test says so, recording when each started (fake ms). */
function controlledTask() {
  const starts: number[] = [];
  const ends: Array<() => void> = [];
  const task = () =>
    new Promise<void>((resolve) => {
      starts.push(performance.now());
      ends.push(resolve);
    });
  const endRun = async () => {
    ends.shift()!();
    await Promise.resolve();
    await Promise.resolve();
  };
  return { task, starts, endRun };
}

describe("SerialTask", () => {
  beforeEach(() => jest.useFakeTimers({ now: 0, doNotFake: ["nextTick", "queueMicrotask"] }));
  afterEach(() => jest.useRealTimers());

  it("runs one at a time; asks during a run become one more run right after it", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task);
    serial.run();
    serial.run();
    serial.run();
    expect(starts).toHaveLength(1);
    await endRun();
    expect(starts).toHaveLength(2);
    await endRun();
    expect(starts).toHaveLength(2);
  });

  it("runSoon starts at once after a quiet spell, else spacingMs after the last start, once for many asks", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task, 20);
    serial.runSoon();
    expect(starts).toEqual([0]);
    await endRun();

    jest.advanceTimersByTime(5);
    serial.runSoon();
    serial.runSoon();
    expect(starts).toHaveLength(1);
    jest.advanceTimersByTime(14);
    expect(starts).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(starts).toEqual([0, 20]);
    await endRun();

    jest.advanceTimersByTime(100);
    expect(starts).toHaveLength(2);
    serial.runSoon();
    expect(starts).toEqual([0, 20, 120]);
  });

  it("run() does not wait for the spacing, and takes the place of a deferred runSoon", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task, 20);
    serial.run();
    await endRun();
    serial.runSoon();
    serial.run();
    expect(starts).toEqual([0, 0]);
    await endRun();
    jest.advanceTimersByTime(50);
    expect(starts).toHaveLength(2);
  });

  it("runSoon during a run is not lost: one more run after it, at the spacing, however often asked", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task, 20);
    serial.run();
    jest.advanceTimersByTime(5);
    serial.runSoon();
    serial.runSoon();
    jest.advanceTimersByTime(30); // the spacing has passed while the first run still goes on
    expect(starts).toEqual([0]);
    await endRun();
    expect(starts).toEqual([0, 35]);
    await endRun();
    jest.advanceTimersByTime(100);
    expect(starts).toHaveLength(2);
  });

  it("idle() waits through the run asked for during the one in progress", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task);
    serial.run();
    serial.run();
    let idle = false;
    const waiting = serial.idle().then(() => (idle = true));
    await endRun();
    expect(starts).toHaveLength(2);
    await Promise.resolve();
    expect(idle).toBe(false);
    await endRun();
    await waiting;
    expect(idle).toBe(true);
  });

  it("a failing task is logged, not left unhandled, and the next run still happens", async () => {
    let calls = 0;
    const serial = new SerialTask(async () => {
      calls++;
      if (calls === 1) throw new Error("boom");
    });
    serial.run();
    serial.run();
    await serial.idle();
    expect(calls).toBe(2);
    const sync = new SerialTask((() => {
      throw new Error("sync boom");
    }) as () => Promise<void>);
    expect(() => sync.run()).not.toThrow();
    await sync.idle();
  });

  it("stop() clears a deferred run", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task, 20);
    serial.run();
    await endRun();
    jest.advanceTimersByTime(5);
    serial.runSoon();
    serial.stop();
    jest.advanceTimersByTime(50);
    expect(starts).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("stop() starts nothing more; idle() waits for the run in progress", async () => {
    const { task, starts, endRun } = controlledTask();
    const serial = new SerialTask(task, 20);
    serial.run();
    serial.run();
    serial.stop();
    let idle = false;
    const waiting = serial.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    await endRun();
    await waiting;
    expect(starts).toHaveLength(1);
    serial.runSoon();
    jest.advanceTimersByTime(50);
    expect(starts).toHaveLength(1);
  });
});
