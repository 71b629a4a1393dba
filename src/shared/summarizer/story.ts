import type { StoryContext, SummaryDraft, SummaryItem } from '../summaries'
import { channelName, chronological, clipSubject, composeText, finishFacts, toFacts, utcDay } from './compose'
import { fromFact, isAnswered, MAX_SOURCES, newCollector, openers, readItem, type Candidate, type Collector } from './facts'

/**
 * A customer's story: facts from the whole history, and a text of at most 80 words built from
 * them, ending with where the conversations stand.
 */

/**
 * How many of the newest items are read sentence by sentence. A story keeps 40 facts, ranked with
 * recency, so a request from 5,000 messages ago never makes it; reading it would cost the budget
 * (10,000 items in 200 ms) for nothing. Older items are still searched, by plain substring, for
 * the values the kept facts carry, so an order number cites its first mention too.
 */
export const READ_WINDOW = 1_000

export function summarizeStory(items: readonly SummaryItem[], context: StoryContext): SummaryDraft {
  const sorted = chronological(items)
  const byId = new Map(sorted.map((i) => [i.id, i.text]))
  const c = newCollector()
  const from = Math.max(0, sorted.length - READ_WINDOW)
  const first = openers(sorted.slice(from))
  for (let i = sorted.length - 1; i >= from; i--) readItem(c, sorted[i]!, i, first.has(sorted[i]!.id))
  return draft(c, (id) => byId.get(id), context, sinceFromItems(sorted, context), sorted.slice(0, from))
}

/**
 * The previous story's facts plus the new items only. The previous facts stand for the old items
 * (oldest first, as stored); an old open question is closed when a new agent sentence answers it.
 */
export function updateStory(previous: SummaryDraft, newItems: readonly SummaryItem[], context: StoryContext): SummaryDraft {
  const c = newCollector()
  previous.facts.forEach((f, i) => {
    const candidate = fromFact(f, i)
    const same = c.byKey.get(candidate.key)
    if (!same) c.byKey.set(candidate.key, candidate)
    else {
      for (const id of candidate.sourceIds) {
        if (same.sourceIds.includes(id)) continue
        same.sourceIds.push(id)
        same.sourcePositions.push(i)
      }
    }
  })
  const base = previous.facts.length
  const sorted = chronological(newItems)
  const byId = new Map(sorted.map((i) => [i.id, i.text]))
  // A new item may continue a conversation whose opening is among the old items; it is read as an
  // opening all the same (the update cannot tell), which at worst adds one request.
  const first = openers(sorted)
  for (let i = sorted.length - 1; i >= 0; i--) readItem(c, sorted[i]!, base + i, first.has(sorted[i]!.id))
  closeAnswered(c, base)
  const since = sinceFromText(previous.text, context) ?? sinceFromItems(sorted, context)
  return draft(c, (id) => byId.get(id), context, since)
}

/** Adds, newest first, the older items that contain a kept fact's value, up to the citation limit. */
function citeOlderMentions(kept: readonly Candidate[], older: readonly SummaryItem[]): void {
  for (const f of kept) {
    const value = f.value
    if (!value) continue
    for (let i = older.length - 1; i >= 0 && f.sourceIds.length < MAX_SOURCES; i--) {
      if (!older[i]!.text.includes(value)) continue
      f.sourceIds.push(older[i]!.id)
      f.sourcePositions.push(i)
    }
  }
}

function closeAnswered(c: Collector, base: number): void {
  for (const [key, f] of c.byKey) {
    if (f.kind === 'open_question' && f.last < base && f.stems && isAnswered(f.stems, c.answeredStems)) c.byKey.delete(key)
  }
}

function draft(c: Collector, textOf: (id: string) => string | undefined, context: StoryContext, since: string | null, older: readonly SummaryItem[] = []): SummaryDraft {
  const kept = finishFacts(c, textOf)
  if (older.length > 0) citeOlderMentions(kept, older)
  return { text: composeText(kept, statusLine(context, since)), facts: toFacts(kept) }
}

function statusHead(context: StoryContext): string | null {
  const first = context.open[0]
  if (!first) return null
  const status = first.status.charAt(0).toUpperCase() + first.status.slice(1)
  return `${status} on ${channelName(first.channel)}${first.subject ? ` (“${clipSubject(first.subject)}”)` : ''}`
}

/** "Open on email (“Refund for order”) since 2026-10-01; 2 of 5 conversations open." */
export function statusLine(context: StoryContext, since: string | null): string {
  const head = statusHead(context)
  if (!head) return context.conversationCount > 0 ? `No open conversation (${context.conversationCount} in all).` : ''
  const more = context.open.length > 1 ? `; ${context.open.length} of ${Math.max(context.conversationCount, context.open.length)} conversations open` : ''
  return `${head}${since ? ` since ${since}` : ''}${more}.`
}

/** When the newest open conversation began, from its oldest item at hand. */
function sinceFromItems(sorted: readonly SummaryItem[], context: StoryContext): string | null {
  const first = context.open[0]
  if (!first) return null
  const oldest = sorted.find((i) => i.conversationId === first.id)
  return oldest ? utcDay(oldest.at) : null
}

/** The same conversation's start as the previous story stated it: an update has no older items to read it from. */
function sinceFromText(previousText: string, context: StoryContext): string | null {
  const first = context.open[0]
  if (!first) return null
  const head = statusHead(context)!
  const tail = head.slice(head.indexOf(' on '))
  const at = previousText.indexOf(`${tail} since `)
  if (at < 0) return null
  return /^\d{4}-\d{2}-\d{2}/u.exec(previousText.slice(at + tail.length + 7))?.[0] ?? null
}
