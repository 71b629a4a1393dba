import type { CountryCode } from 'libphonenumber-js'
import type { ServerConfig } from '../config'
import type { Store } from '../store/store'
import { ModelSummarizer, type SummaryModelLogger } from './model-provider'
import { authorOf, type SummaryAuthor } from './summary-author'
import type { CustomerHistory } from './summary-items'
import type { SummaryServiceOptions } from './summary-service'

/** The summarizer the configuration asks for: the model at `summaryModelUrl`, else the embedded one alone. */
export function summaryAuthorFor(cfg: ServerConfig, store: Store, log: SummaryModelLogger): SummaryAuthor {
  const blocked = new Set(cfg.inboxes.filter((i) => i.neverSendToModel).map((i) => i.name))
  // An item names its conversation; the conversation's inbox is what an inbox setting keeps from models.
  const inboxes = new Map<string, string>()
  const summarizer = new ModelSummarizer({
    endpoint: cfg.summaryModelUrl && cfg.summaryModel ? { url: cfg.summaryModelUrl, model: cfg.summaryModel, key: cfg.summaryModelKey } : null,
    usage: {
      usageOn: (day) => store.summaryUsage(day),
      addUsage: async (day, delta) => {
        await store.write((w) => w.addSummaryUsage(day, delta))
      },
    },
    defaultCountry: cfg.defaultCountry as CountryCode,
    blockedInbox: (item) => {
      const inbox = inboxes.get(item.conversationId)
      return inbox !== undefined && blocked.has(inbox) ? inbox : null
    },
    timeoutMs: cfg.summaryModelTimeoutMs,
    retries: cfg.summaryModelRetries,
    concurrency: cfg.summaryModelConcurrency,
    dailyRequestLimit: cfg.summaryModelDailyLimit,
    tokenBudget: cfg.summaryTokenBudget,
    log,
  })
  const author = authorOf(summarizer)
  // The service summarizes one subject at a time, and the summarizer reads the inboxes before its first await.
  const learn = (history: CustomerHistory): CustomerHistory => {
    inboxes.clear()
    for (const c of history.conversations) inboxes.set(c.id, c.inbox)
    return history
  }
  return {
    story: (history, previous, options) => author.story(learn(history), previous, options),
    wrapUp: (history) => author.wrapUp(learn(history)),
    call: (history) => author.call(learn(history)),
  }
}

export const summaryTiming = (cfg: ServerConfig): SummaryServiceOptions => ({
  debounceMs: cfg.summaryDebounceMs,
  maxWaitMs: cfg.summaryMaxWaitMs,
  tickMs: Math.min(1_000, Math.max(20, Math.floor(cfg.summaryDebounceMs / 4))),
})
