import { logger } from "./logger";

/**
 * A background task run one at a time: asked while it runs, it runs once more right after (however
 * often it was asked). `run()` asks for a run at once; `runSoon()` for one no sooner than
 * `spacingMs` after the last run started, so that a stream of asks (one per commit) becomes one run
 * per interval doing the work of several.
 */
export class SerialTask {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastStart = -Infinity;
  private deferred: NodeJS.Timeout | undefined;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly spacingMs = 0,
  ) {}

  run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.deferred);
    this.deferred = undefined;
    this.lastStart = performance.now();
    this.running = this.start().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.run();
      }
    });
  }

  runSoon(): void {
    if (this.stopped || this.deferred || this.again) return;
    const wait = this.lastStart + this.spacingMs - performance.now();
    if (wait <= 0) this.run();
    else this.deferred = setTimeout(() => ((this.deferred = undefined), this.run()), wait).unref();
  }

  /** The task, whose failures (it should handle its own) are logged rather than left unhandled. */
  private async start(): Promise<void> {
    try {
      await this.task();
    } catch (err) {
      logger.error({ err }, "a background task failed");
    }
  }

  /** Settles when no run is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No more runs start; the one in progress (see `idle`) goes on. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.deferred);
  }
}
