import type { Summary } from '../../shared/domain'
import type { SummaryItem } from '../../shared/summaries'
import type { ModelSummarizer, SummaryOutcome } from './model-provider'
import type { CustomerHistory } from './summary-items'

/** Writes the three summaries from what the store holds: a customer's history, one conversation's, one call. */
export interface SummaryAuthor {
  /**
   * Null when `previous` already read every item: an update with nothing new to read would only
   * repeat it (and pay a model for that).
   */
  story(history: CustomerHistory, previous: Summary | null, options?: StoryOptions): Promise<SummaryOutcome | null>
  wrapUp(history: CustomerHistory): Promise<SummaryOutcome>
  /** `history` holds the call alone. */
  call(history: CustomerHistory): Promise<SummaryOutcome>
}

export interface StoryOptions {
  /**
   * An agent asked for it: read the whole history again, as if there were no previous story. An
   * update keeps what the previous story said, and the agent asks precisely because that may be
   * wrong or stale.
   */
  afresh?: boolean
}

/**
 * The items a story written earlier has not read, when that story read exactly the items before
 * them; null when the history changed underneath it (items moved, merged or arrived late), which
 * takes a story from scratch.
 */
export function newItemsSince(previous: Summary, items: readonly SummaryItem[]): SummaryItem[] | null {
  const newer = items.filter((i) => i.at > previous.coversThrough)
  if (items.length - newer.length !== previous.itemCount) return null
  const last = items[items.length - newer.length - 1]
  return last && last.id === previous.coversItemId ? newer : null
}

/**
 * The summarizer (a model with the embedded one behind it, or the embedded one alone) reading a
 * story's previous version and only the newer items whenever that is all that changed, unless
 * the story is asked for afresh.
 */
export function authorOf(summarizer: ModelSummarizer): SummaryAuthor {
  return {
    story(history, previous, { afresh = false } = {}) {
      const newer = previous && !afresh ? newItemsSince(previous, history.items) : null
      if (newer?.length === 0) return Promise.resolve(null)
      if (previous && newer) return summarizer.summarizeStory(newer, history.context, { text: previous.text, facts: previous.facts })
      return summarizer.summarizeStory(history.items, history.context)
    },
    wrapUp: (history) => summarizer.summarizeConversation(history.items),
    call: (history) => summarizer.summarizeCall(history.items[0]!),
  }
}
