import type { LeasedWork } from './leases'

/**
 * Leased work run when the lease is won and then every `everyMs`, one run at a time: a run still
 * going when the next is due is skipped, not doubled, and `stop` waits for it. A failed run is
 * handed to `failed`; the next one tries again.
 */
export class PeriodicWork implements LeasedWork {
  private timer: NodeJS.Timeout | null = null
  private running: Promise<unknown> | null = null

  constructor(
    private readonly everyMs: number,
    private readonly run: () => Promise<unknown>,
    private readonly failed: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    this.timer = setInterval(() => this.soon(), this.everyMs)
    this.timer.unref()
    this.soon()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.running
  }

  /** Runs now unless a run is going. */
  soon(): void {
    this.running ??= this.run()
      .catch(this.failed)
      .finally(() => {
        this.running = null
      })
  }
}
