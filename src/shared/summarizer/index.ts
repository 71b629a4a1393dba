/**
 * The embedded summarizer: pure, deterministic and offline, so the sync server and the client core
 * (even without a network) write the same summary from the same items. Every fact cites the items
 * that say it; identifiers, amounts and dates are always copied from those items, never rebuilt.
 * Its language model loads on demand: await `prepareSummarizer()` before the first summary.
 */
export { prepareSummarizer } from './nlp'
export { summarizeStory, updateStory } from './story'
export { summarizeCall, summarizeConversation } from './wrap-up'
