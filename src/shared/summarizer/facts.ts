import type { FactKind, SummaryFact } from '../domain'
import type { SummaryItem } from '../summaries'
import { AGENT_SPEAKERS, NEGATORS, PREFERENCE, PROMISE, REQUEST, SPEAKER } from './cues'
import { annotate } from './nlp'
import { contentWords, looksEnglish, MAX_ITEM_CHARS, splitSentences, words } from './sentences'
import { sentimentOf } from './sentiment'
import { findValues } from './values'

/**
 * Extraction rules: which sentences of which items become facts, and how mentions of the same
 * thing across items become one fact citing all of them. Every rule reads one sentence and its
 * speaker, so a history can be read once, oldest first, and a new item added without rereading it.
 */

/** A fact while it is being collected: its mentions, where the newest one is, and how to find its duplicates. */
export interface Candidate {
  kind: FactKind
  text: string
  value: string | null
  key: string
  sourceIds: string[]
  /** The position of each source, in the same order: sources are cited oldest first. */
  sourcePositions: number[]
  /** Position of the newest mention in the history: the larger, the more recent. */
  last: number
  mentions: number
  /** For an open question: its content stems, to see whether a later agent sentence answers it. */
  stems?: string[]
}

export const MAX_FACTS = 40
export const MAX_SOURCES = 20
const MAX_PER_KIND = 12
const FACT_TEXT_MAX = 400

/** What makes a fact worth keeping when there are more than 40: what is still open, then what the company committed to. */
const KIND_WEIGHT: Record<FactKind, number> = {
  open_question: 6,
  promise: 5,
  request: 4,
  preference: 4,
  identifier: 3.5,
  sentiment: 3,
  amount: 3,
  date: 2.5,
}

/** Light stemming for comparing words across sentences: "refunds", "refunded", "refunding" meet at "refund". */
export function stemLite(word: string): string {
  let w = word.replace(/['’]s$/u, '')
  if (w.length > 5) w = w.replace(/(?:ing|ed)$/u, '')
  if (w.length > 3) w = w.replace(/(?:es|s)$/u, '')
  return w
}

export const contentStems = (text: string): string[] => [...new Set(contentWords(text).map(stemLite))].sort()

function sentenceKey(kind: FactKind, text: string): string | null {
  const stems = contentStems(text)
  return stems.length === 0 ? null : `${kind}|${stems.join(' ')}`
}

export const valueKey = (kind: FactKind, value: string): string => `${kind}=${value}`

/** The key a stored fact is found again under, so a new mention of it merges in. */
export const keyOf = (fact: Pick<SummaryFact, 'kind' | 'text' | 'value'>): string =>
  fact.value ? valueKey(fact.kind, fact.value) : (sentenceKey(fact.kind, fact.text) ?? `${fact.kind}|${fact.text}`)

interface SpokenSentence {
  speaker: 'customer' | 'agent'
  text: string
}

/** An item's sentences with who says each: a call transcript's "Agent:" and "Customer:" turns change the speaker. */
export function spokenSentences(item: SummaryItem): SpokenSentence[] {
  const text = item.text.length > MAX_ITEM_CHARS ? item.text.slice(0, MAX_ITEM_CHARS) : item.text
  const out: SpokenSentence[] = []
  let speaker = item.author
  let from = 0
  const flush = (to: number): void => {
    for (const s of splitSentences(text.slice(from, to))) out.push({ speaker, text: s.text })
  }
  for (const m of text.includes(':') ? text.matchAll(SPEAKER) : []) {
    flush(m.index)
    speaker = AGENT_SPEAKERS.test(m[1]!) ? 'agent' : 'customer'
    from = m.index + m[0].length
  }
  flush(text.length)
  return out
}

const LEADING_CONJUNCTION = /^(?:but|and|so|however|unfortunately|pero|y|mais|et|aber|und|ma|mas|maar|en)\s+/i
const CLAUSE = /\s*(?:[,;:]|\s(?:but|however|although|though|unfortunately|pero|mais|aber|ma|mas|maar)\s)\s*/i

/**
 * The parts of an agent's sentence that commit to something, or null. "We can't refund this, but
 * I'll send a replacement" commits to the replacement only: a clause whose cue has a negator within
 * three words before it or four after ("we will not", "I'm afraid we won't be able to") is dropped.
 */
export function promisePart(sentence: string): string | null {
  if (!PROMISE.test(sentence)) return null
  const clauses = sentence.split(CLAUSE).filter(Boolean)
  const kept: string[] = []
  let dropped = false
  for (const clause of clauses) {
    const m = PROMISE.exec(clause)
    if (!m) {
      // "I'm afraid we can't refund this order, but…": a refusal next to a promise stays out of its text.
      if (words(clause).some((w) => NEGATORS.has(w))) dropped = true
      continue
    }
    const before = words(clause.slice(0, m.index)).slice(-3)
    const after = words(clause.slice(m.index + m[0].length)).slice(0, 4)
    if ([...before, ...after, ...words(m[0])].some((w) => NEGATORS.has(w))) dropped = true
    else kept.push(clause)
  }
  if (kept.length === 0) return null
  return dropped ? kept.map((k) => k.trim().replace(LEADING_CONJUNCTION, '')).join(', ') : sentence
}

/**
 * wink's negation scope on a kept promise: it also sees a negator further before the cue ("I don't
 * think we'll ship it today"). True when one of the first words after the cue is in that scope.
 */
export function winkNegatesPromise(text: string): boolean {
  const m = PROMISE.exec(text)
  if (!m) return false
  const after = new Set(words(text.slice(m.index + m[0].length)).slice(0, 4))
  return annotate(text).tokens.some((t) => t.negated && !t.stop && after.has(t.lower))
}

const isQuestion = (sentence: string): boolean => /[?？¿]/u.test(sentence)

export interface Collector {
  byKey: Map<string, Candidate>
  /** Content stems of agent sentences later than what is being read (reading runs newest first). */
  answeredStems: Set<string>
}

export const newCollector = (): Collector => ({ byKey: new Map(), answeredStems: new Set() })

function add(c: Collector, kind: FactKind, text: string, value: string | null, key: string | null, itemId: string, position: number): Candidate | null {
  if (!key) return null
  const found = c.byKey.get(key)
  if (found) {
    if (!found.sourceIds.includes(itemId)) {
      found.sourceIds.push(itemId)
      found.sourcePositions.push(position)
    }
    found.mentions++
    if (position > found.last) {
      found.last = position
      found.text = text.slice(0, FACT_TEXT_MAX)
    }
    return found
  }
  const created: Candidate = { kind, text: text.slice(0, FACT_TEXT_MAX), value, key, sourceIds: [itemId], sourcePositions: [position], last: position, mentions: 1 }
  c.byKey.set(key, created)
  return created
}

/** The first item with customer text in each conversation: where its ask is. */
export function openers(sorted: readonly SummaryItem[]): Set<string> {
  const seen = new Set<string>()
  const out = new Set<string>()
  for (const item of sorted) {
    if (seen.has(item.conversationId) || (item.author !== 'customer' && item.kind !== 'call')) continue
    seen.add(item.conversationId)
    out.add(item.id)
  }
  return out
}

/** A question is answered when a later agent sentence shares its content: one word for a short question, two for a longer one. */
export function isAnswered(stems: readonly string[], agentStems: ReadonlySet<string>): boolean {
  const need = stems.length <= 3 ? 1 : 2
  let shared = 0
  for (const s of stems) if (agentStems.has(s) && ++shared >= need) return true
  return false
}

/**
 * Reads one item into the collector. Items must come newest first (so that "answered by a later
 * agent sentence" is known when a question is read); `position` grows with recency.
 */
export function readItem(c: Collector, item: SummaryItem, position: number, opener = false): void {
  const sentences = spokenSentences(item)
  // The opening of a conversation states the ask even without a cue ("I've been charged twice for
  // order GR-77"): its first two customer sentences that say something are requests.
  const opening = new Set<number>()
  if (opener) {
    for (let i = 0; i < sentences.length && opening.size < 2; i++) {
      if (sentences[i]!.speaker === 'customer' && contentWords(sentences[i]!.text).length >= 3) opening.add(i)
    }
  }
  for (let i = sentences.length - 1; i >= 0; i--) {
    const { speaker, text } = sentences[i]!
    // A short sentence leans on the one before ("Yes, I'll email it by Friday", "Which is it?"):
    // the fact keeps both, so it says what "it" is.
    const previous = sentences[i - 1]
    const withContext = (t: string, max: number): string => (previous && contentWords(t).length <= max ? `${previous.text} ${t}` : t)
    if (speaker === 'agent') {
      const promise = promisePart(text)
      if (promise) {
        const full = withContext(promise, 3)
        add(c, 'promise', full, null, sentenceKey('promise', full), item.id, position)
      }
      for (const s of contentStems(text)) c.answeredStems.add(s)
      continue
    }
    const question = isQuestion(text)
    const preference = PREFERENCE.test(text)
    if (question || preference || opening.has(i) || REQUEST.test(text)) {
      const full = withContext(text, 2)
      add(c, 'request', full, null, sentenceKey('request', full), item.id, position)
    }
    if (question) {
      const full = withContext(text, 4)
      const stems = contentStems(full)
      if (stems.length > 0 && !isAnswered(stems, c.answeredStems)) {
        const open = add(c, 'open_question', full, null, sentenceKey('open_question', full), item.id, position)
        if (open) open.stems = stems
      }
    }
    if (preference) add(c, 'preference', text, null, sentenceKey('preference', text), item.id, position)
    if (sentimentOf(text, words(text)) !== 0) add(c, 'sentiment', text, null, sentenceKey('sentiment', text), item.id, position)
  }
  readValues(c, item, sentences, position)
}

function readValues(c: Collector, item: SummaryItem, sentences: readonly SpokenSentence[], position: number): void {
  const text = item.text.length > MAX_ITEM_CHARS ? item.text.slice(0, MAX_ITEM_CHARS) : item.text
  const seen = new Set<string>()
  for (const v of findValues(text)) {
    if (v.value.length > 120 || seen.has(v.kind + v.value)) continue
    seen.add(v.kind + v.value)
    const sentence = sentences.find((s) => s.text.includes(v.value))?.text
    const label = v.kind === 'identifier' ? `${v.label ?? 'Reference'} ${v.value}` : v.value
    add(c, v.kind, sentence ?? label, v.value, valueKey(v.kind, v.value), item.id, position)
  }
}

/**
 * Dates and amounts wink finds in a kept English sentence that the expressions missed ("end of next
 * week", "fifty dollars"). Each is kept only where it occurs verbatim in the cited items.
 */
export function readEntities(c: Collector, candidate: Candidate, textOf: (id: string) => string | undefined): void {
  if (candidate.value || !looksEnglish(candidate.text)) return
  const expressed = findValues(candidate.text)
  for (const e of annotate(candidate.text).entities) {
    const kind: FactKind | null = e.type === 'DATE' ? 'date' : e.type === 'MONEY' ? 'amount' : null
    if (!kind || e.value.length > 120 || (kind === 'amount' && !/\d/u.test(e.value))) continue
    if (kind === 'date' && /^(?:today|now|tonight|currently)$/iu.test(e.value)) continue
    // The expressions already made a fact of this sentence's date or amount; wink's wider or
    // narrower reading of it ("October" in "3rd of October") would state it twice.
    if (expressed.some((v) => v.kind === kind && (v.value.includes(e.value) || e.value.includes(v.value)))) continue
    const key = valueKey(kind, e.value)
    if (c.byKey.has(key)) continue
    const sources = candidate.sourceIds.filter((id) => textOf(id)?.includes(e.value))
    for (const id of sources) add(c, kind, candidate.text, e.value, key, id, candidate.last)
  }
}

/** The facts to keep: the open questions first, then commitments, asks, identifiers…, at most 12 of a kind and 40 in all; oldest first. */
export function selectFacts(candidates: Iterable<Candidate>): Candidate[] {
  const all = [...candidates]
  if (all.length === 0) return []
  let lo = Infinity
  let hi = -Infinity
  for (const f of all) {
    lo = Math.min(lo, f.last)
    hi = Math.max(hi, f.last)
  }
  const span = Math.max(1, hi - lo)
  const score = (f: Candidate): number => KIND_WEIGHT[f.kind] + (3 * (f.last - lo)) / span + 0.5 * Math.log2(1 + f.mentions)
  const ranked = all.map((f) => ({ f, s: score(f) })).sort((a, b) => b.s - a.s || compareFacts(a.f, b.f))
  const perKind = new Map<FactKind, number>()
  const kept: Candidate[] = []
  for (const { f } of ranked) {
    const n = perKind.get(f.kind) ?? 0
    if (n >= MAX_PER_KIND) continue
    perKind.set(f.kind, n + 1)
    kept.push(f)
    if (kept.length === MAX_FACTS) break
  }
  return kept.sort(compareFacts)
}

const KIND_ORDER: FactKind[] = ['request', 'open_question', 'promise', 'identifier', 'amount', 'date', 'preference', 'sentiment']

/** Oldest first; ties by kind and key, so the order never depends on how a Map was filled. */
export function compareFacts(a: Candidate, b: Candidate): number {
  return a.last - b.last || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
}

export function toFact(c: Candidate): SummaryFact {
  const order = c.sourceIds.map((id, i) => ({ id, at: c.sourcePositions[i] ?? 0, i }))
  order.sort((a, b) => a.at - b.at || a.i - b.i)
  const sourceIds = order.map((o) => o.id).slice(-MAX_SOURCES)
  return c.value ? { kind: c.kind, text: c.text, value: c.value, sourceIds } : { kind: c.kind, text: c.text, sourceIds }
}

/** A stored fact back as a candidate, at a position among the previous facts (they are stored oldest first). */
export function fromFact(f: SummaryFact, position: number): Candidate {
  const candidate: Candidate = { kind: f.kind, text: f.text, value: f.value ?? null, key: keyOf(f), sourceIds: [...f.sourceIds], sourcePositions: f.sourceIds.map(() => position), last: position, mentions: f.sourceIds.length }
  if (f.kind === 'open_question') candidate.stems = contentStems(f.text)
  return candidate
}
