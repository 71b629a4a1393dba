import type { Channel, FactKind, SummaryFact } from '../domain'
import { STORY_MAX_WORDS, wordCount, type SummaryItem } from '../summaries'
import { compareFacts, readEntities, selectFacts, toFact, winkNegatesPromise, type Candidate, type Collector } from './facts'
import { mmrOrder, type RankDoc } from './rank'
import { looksEnglish } from './sentences'

/**
 * Turning collected candidates into a draft: wink's second look at the few kept sentences, the
 * final 40 facts, and a text of at most 80 words made only of those facts' sentences.
 */

/** Sections of a story, in reading order, with how many sentences each may take. */
const SECTIONS: { kind: FactKind; label: string; quota: number; boost: number }[] = [
  { kind: 'request', label: 'Asked:', quota: 2, boost: 0.3 },
  { kind: 'promise', label: 'Done or promised:', quota: 2, boost: 0.5 },
  { kind: 'open_question', label: 'Still open:', quota: 1, boost: 0.6 },
  { kind: 'preference', label: 'Prefers:', quota: 1, boost: 0.1 },
  { kind: 'sentiment', label: 'Feeling:', quota: 1, boost: 0.1 },
]

/** A sentence in a story is cut at this many words: one long sentence must not take the whole story. */
const SENTENCE_MAX_WORDS = 28

/**
 * Keeps the best 40 candidates, after wink has read the kept agent sentences once more for negation
 * and the kept sentences for dates and amounts. `textOf` gives an item's text when this call has it
 * (an incremental update does not have the old items): a value is cited only by items that contain it.
 */
export function finishFacts(c: Collector, textOf: (id: string) => string | undefined): Candidate[] {
  const first = selectFacts(c.byKey.values())
  for (const f of first) {
    const readable = !f.value && f.sourceIds.some((id) => textOf(id) !== undefined) && looksEnglish(f.text)
    if (!readable) continue
    if (f.kind === 'promise' && winkNegatesPromise(f.text)) {
      c.byKey.delete(f.key)
      continue
    }
    if (f.kind === 'request' || f.kind === 'promise') readEntities(c, f, textOf)
  }
  const kept: Candidate[] = []
  for (const f of selectFacts(c.byKey.values())) {
    if (f.value) {
      // The guard against an invented value: drop every citation whose text is at hand and lacks it.
      const keep = f.sourceIds.map((id, i) => ({ id, i })).filter(({ id }) => textOf(id)?.includes(f.value!) ?? true)
      if (keep.length === 0) continue
      f.sourcePositions = keep.map(({ i }) => f.sourcePositions[i]!)
      f.sourceIds = keep.map(({ id }) => id)
    }
    kept.push(f)
  }
  return kept.sort(compareFacts)
}

export const toFacts = (kept: readonly Candidate[]): SummaryFact[] => kept.map(toFact)

function clipWords(text: string, max: number): string {
  const parts = text.split(/\s+/u).filter(Boolean)
  if (parts.length <= max) return parts.join(' ')
  return parts.slice(0, max).join(' ').replace(/[,;:]$/u, '') + '…'
}

const endSentence = (text: string): string => (/[.!?…)"”]$/u.test(text) ? text : `${text}.`)

/** E-mail addresses and phone numbers stay in the cited items; the story that is shown in lists does not repeat them. */
export function redact(text: string): string {
  return text
    .replace(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu, '[email]')
    .replace(/(?<![\p{L}\p{N}-])\+\d[\d\s().-]{6,}\d(?![\p{L}\p{N}])|(?<![\p{L}\p{N}-])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\p{L}\p{N}-])/gu, '[phone]')
}

/**
 * The story's sentences: MMR (rank.ts) orders the sentence facts, each section takes what fits its
 * quota and the word budget, and sections are read in a fixed order, each oldest first. `tail` is
 * the last sentence (the status), counted in the budget.
 */
/**
 * A resolved conversation's questions no one answered are not "still open" but were left so;
 * `ended` names them that way.
 */
export function composeText(kept: readonly Candidate[], tail: string, options: { ended?: boolean; maxWords?: number } = {}): string {
  const maxWords = options.maxWords ?? STORY_MAX_WORDS
  const openTexts = new Set(kept.filter((f) => f.kind === 'open_question').map((f) => f.text))
  const pool = kept
    .map((f, index) => ({ f, index, section: SECTIONS.find((s) => s.kind === f.kind) }))
    .filter((d) => d.section && !d.f.value && !(d.f.kind === 'request' && openTexts.has(d.f.text)))
  const docs: RankDoc[] = pool.map((d) => ({
    text: d.f.text,
    boost: d.section!.boost + (d.f.kind === 'request' && /[?？]/u.test(d.f.text) ? 0.2 : 0) + (0.3 * (d.index + 1)) / kept.length,
  }))
  let budget = maxWords - wordCount(tail)
  const chosen = new Map<FactKind, { index: number; text: string }[]>()
  for (const i of mmrOrder(docs)) {
    const { f, index, section } = pool[i]!
    const list = chosen.get(f.kind) ?? []
    if (list.length >= section!.quota) continue
    const sentence = endSentence(clipWords(f.text, SENTENCE_MAX_WORDS))
    const cost = wordCount(sentence) + (list.length === 0 ? wordCount(section!.label) : 0)
    if (cost > budget) continue
    budget -= cost
    list.push({ index, text: sentence })
    chosen.set(f.kind, list)
  }
  const parts: string[] = []
  for (const s of SECTIONS) {
    const list = chosen.get(s.kind)
    if (!list) continue
    const label = options.ended && s.kind === 'open_question' ? 'Left unanswered:' : s.label
    parts.push(`${label} ${list.sort((a, b) => a.index - b.index).map((x) => x.text).join(' ')}`)
  }
  if (parts.length === 0) {
    const id = [...kept].reverse().find((f) => f.kind === 'identifier')
    if (id?.value && wordCount(id.value) + 1 <= budget) parts.push(`About ${id.value}.`)
  }
  if (tail) parts.push(tail)
  return redact(parts.join(' '))
}

const CHANNEL_NAMES: Record<Channel, string> = { chat: 'chat', email: 'email', sms: 'SMS', whatsapp: 'WhatsApp', voice: 'phone' }
export const channelName = (c: Channel): string => CHANNEL_NAMES[c]

/** A day as YYYY-MM-DD in UTC: the same everywhere, whatever the machine's zone. */
export const utcDay = (at: number): string => (Number.isFinite(at) ? new Date(at).toISOString().slice(0, 10) : '')

/** Items oldest first; equal times by id; the sort is stable for the rest. */
export const chronological = (items: readonly SummaryItem[]): SummaryItem[] =>
  [...items].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

export const clipSubject = (subject: string): string => clipWords(subject, 8)
