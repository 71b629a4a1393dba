import type { SummaryUsageOfDay } from './summary-usage'
import type { Channel, Conversation, SummaryFact, SummaryKind } from './domain'

/**
 * What every summarizer (the embedded one, a model) reads and writes, and the rules that do not
 * depend on which one wrote a summary: its id, its length, when it is stale.
 */

/** A story is read in ten seconds: at most this many words. */
export const STORY_MAX_WORDS = 80

/** One summary per thing summarized: a newer version replaces the older one under the same id. */
export function summaryId(kind: SummaryKind, subjectId: string): string {
  const prefix = kind === 'customer_story' ? 'story' : kind === 'wrap_up' ? 'wrapup' : 'callsum'
  return `${prefix}:${subjectId}`
}

/** One item of a customer's history as a summarizer reads it: a message, a call (transcript and notes) or a note. */
export interface SummaryItem {
  id: string
  kind: 'message' | 'call' | 'note'
  conversationId: string
  channel: Channel
  /** Who said it: the customer, or the company (an agent, a rule, a note). */
  author: 'customer' | 'agent'
  /** When it was sent, started or written (epoch ms). */
  at: number
  text: string
}

/** The state of the conversations a story covers, for its last sentence ("open, waiting since…"). */
export interface StoryContext {
  /** Conversations not resolved, newest first. */
  open: { id: string; status: 'open' | 'pending' | 'snoozed'; channel: Channel; subject: string | null }[]
  /** How many conversations the customer has in all. */
  conversationCount: number
}

/** The story's context from the customer's conversations: the unresolved ones, the most recently active first. */
export function storyContext(conversations: readonly Conversation[]): StoryContext {
  return {
    open: conversations
      .filter((c): c is Conversation & { status: 'open' | 'pending' | 'snoozed' } => c.status !== 'resolved')
      .sort((a, b) => b.lastMessageAt - a.lastMessageAt)
      .map((c) => ({ id: c.id, status: c.status, channel: c.channel, subject: c.subject })),
    conversationCount: conversations.length,
  }
}

/** What a summarizer returns, before it becomes a stored Summary. */
export interface SummaryDraft {
  text: string
  facts: SummaryFact[]
}

/** Words as a reader counts them. */
export const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length

/** How far a summary is behind its subject: the items newer than the last one it covers. */
export interface Staleness {
  newItems: number
  /** When the newest of them arrived; null when the summary is current. */
  newestAt: number | null
}

/** A day's use of the configured model, without the day: what is counted and added up. */
export type SummaryUsage = Omit<SummaryUsageOfDay, 'day'>

/** An agent's thumbs up or down on one version of a summary. */
export interface SummaryFeedback {
  summaryId: string
  userId: string
  /** The version judged: a regenerated summary is judged afresh. */
  generatedAt: number
  rating: 'up' | 'down'
  provider: 'embedded' | 'model'
  model: string | null
  summaryText: string
  createdAt: number
}

/** An agent may ask for a customer's story afresh at most this often (a model call costs money). */
export const REGENERATE_COOLDOWN_MS = 30_000

/** Why a story written at `generatedAt` may not be asked for afresh yet, and for how long (ms); null when it may. */
export function regenerateRefusal(story: { generatedAt: number } | null, now: number): { message: string; waitMs: number } | null {
  const since = story ? now - story.generatedAt : Number.POSITIVE_INFINITY
  if (since >= REGENERATE_COOLDOWN_MS) return null
  const waitMs = REGENERATE_COOLDOWN_MS - since
  return { message: `the story was written ${Math.max(0, Math.floor(since / 1000))} s ago: it can be written afresh in ${Math.ceil(waitMs / 1000)} s`, waitMs }
}
