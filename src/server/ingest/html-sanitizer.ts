import { availableParallelism } from 'node:os'
import { Piscina } from 'piscina'
import { htmlWorkerFile } from '../assets'
import { textOfHtml, type PreparedHtml } from './sanitize-html'

export interface HtmlSanitizerOptions {
  /** How long one body may take, waiting in the queue included, before only its words are kept. */
  budgetMs: number
}

export interface HtmlSanitizerLogger {
  warn(obj: object, msg: string): void
}

/**
 * Sanitizes senders' HTML in worker threads, never on the event loop: one hostile body must not
 * hold every request, webhook and socket of the server. A body over its time budget has its
 * worker stopped and keeps only its words (textOfHtml is linear, so it runs here).
 */
export class HtmlSanitizer {
  private readonly pool: Piscina

  constructor(
    private readonly options: HtmlSanitizerOptions,
    private readonly log: HtmlSanitizerLogger,
  ) {
    this.pool = new Piscina({
      filename: htmlWorkerFile,
      minThreads: 1,
      // One core stays with the event loop.
      maxThreads: Math.max(1, availableParallelism() - 1),
      idleTimeout: 60_000,
    })
  }

  async prepare(html: string): Promise<PreparedHtml> {
    try {
      return (await this.pool.run({ html }, { signal: AbortSignal.timeout(this.options.budgetMs) })) as PreparedHtml
    } catch (err) {
      this.log.warn({ err, chars: html.length, budgetMs: this.options.budgetMs }, 'HTML body not sanitized in time; keeping its text')
      return { html: null, omitted: 'too_complex', text: textOfHtml(html) }
    }
  }

  async close(): Promise<void> {
    // A worker stopped while it is still loading its modules can abort the whole process (a V8
    // check in Node's ES module loader). One empty task first: it ends once the pool's worker is
    // loaded (a body in hand finishes or runs out of its budget before it).
    await this.pool.run({ html: '' }).catch(() => undefined)
    await this.pool.close({ force: true })
  }
}
