import type { SummaryFact } from '../domain'
import { wordCount, type SummaryDraft, type SummaryItem } from '../summaries'
import { contentWords } from './sentences'

/**
 * Scoring a summarizer against hand-written gold facts (tests/fixtures/summaries). Pure, so the
 * rules that decide "matched", "supported", "invented" and "leaked" are tested here and shared by
 * every provider the evaluation runs (the embedded summarizer, a model).
 */

export interface GoldFact {
  kind: SummaryFact['kind']
  /** An exact value the produced fact must contain… */
  value?: string
  /** …or words its text must all contain. */
  keywords?: string[]
  sources: string[]
}

export interface CaseScore {
  gold: number
  matched: number
  facts: number
  citations: number
  supported: number
  invented: number
  storyWords: number
  /** The case's personal values found in what must not hold them (see leakedValues). */
  leaks: number
}

const norm = (s: string): string => s.toLowerCase().replace(/\s+/gu, ' ').trim()

export function matchesGold(fact: SummaryFact, gold: GoldFact): boolean {
  if (fact.kind !== gold.kind) return false
  if (!fact.sourceIds.some((id) => gold.sources.includes(id))) return false
  if (gold.value !== undefined) {
    const v = norm(gold.value)
    return norm(fact.value ?? '').includes(v) || norm(fact.text).includes(v)
  }
  const text = fact.text.toLowerCase()
  return (gold.keywords ?? []).every((k) => text.includes(k.toLowerCase()))
}

/** A citation is supported by a gold fact it matches, by the value in the item, or by most of the fact's content words in the item. */
export function citationSupported(fact: SummaryFact, itemId: string, itemText: string | undefined, gold: readonly GoldFact[]): boolean {
  if (itemText === undefined) return false
  if (gold.some((g) => g.sources.includes(itemId) && matchesGold(fact, g))) return true
  if (fact.value) return itemText.includes(fact.value)
  const words = contentWords(fact.text)
  if (words.length === 0) return false
  const inItem = new Set(contentWords(itemText))
  return words.filter((w) => inItem.has(w)).length >= 0.6 * words.length
}

/** A value nobody wrote, or a citation of an item that does not exist. */
export function isInvented(fact: SummaryFact, textOf: (id: string) => string | undefined): boolean {
  if (fact.sourceIds.some((id) => textOf(id) === undefined)) return true
  return !!fact.value && !fact.sourceIds.some((id) => textOf(id)!.includes(fact.value!))
}

/**
 * Separators inside a card number, an IBAN or a phone number ("4111 1111 1111 1111", "+1 202-555-0147")
 * may be dropped or changed on the way; with enough digits, the value without them is just as
 * personal.
 */
const bare = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}@]/gu, '')

/** The personal values (as a case lists them) that occur in any of the texts, as written or without separators. */
export function leakedValues(personal: readonly string[], texts: readonly string[]): string[] {
  const lower = texts.map((t) => t.toLowerCase())
  const bareTexts = texts.map(bare)
  return personal.filter((value) => {
    if (lower.some((t) => t.includes(value.toLowerCase()))) return true
    const digits = value.replace(/\D/gu, '').length
    return digits >= 6 && bareTexts.some((t) => t.includes(bare(value)))
  })
}

/**
 * `exposure`: the case's personal values and the texts they must not be in (the story the
 * embedded summarizer wrote, or the requests sent to a model).
 */
export function scoreCase(
  items: readonly SummaryItem[],
  gold: readonly GoldFact[],
  draft: SummaryDraft,
  exposure: { personal: readonly string[]; texts: readonly string[] } = { personal: [], texts: [] },
): CaseScore {
  const texts = new Map(items.map((i) => [i.id, i.text]))
  const textOf = (id: string): string | undefined => texts.get(id)
  let citations = 0
  let supported = 0
  for (const f of draft.facts) {
    for (const id of f.sourceIds) {
      citations++
      if (citationSupported(f, id, textOf(id), gold)) supported++
    }
  }
  return {
    gold: gold.length,
    matched: gold.filter((g) => draft.facts.some((f) => matchesGold(f, g))).length,
    facts: draft.facts.length,
    citations,
    supported,
    invented: draft.facts.filter((f) => isInvented(f, textOf)).length,
    storyWords: wordCount(draft.text),
    leaks: leakedValues(exposure.personal, exposure.texts).length,
  }
}

export interface Totals {
  recall: number
  precision: number
  invented: number
  leaks: number
  cases: number
}

/** Recall and precision pooled over all cases (micro-averaged): a case with more gold facts weighs more. */
export function totals(scores: readonly CaseScore[]): Totals {
  const sum = (f: (s: CaseScore) => number): number => scores.reduce((a, s) => a + f(s), 0)
  const gold = sum((s) => s.gold)
  const citations = sum((s) => s.citations)
  return {
    recall: gold === 0 ? 1 : sum((s) => s.matched) / gold,
    precision: citations === 0 ? 1 : sum((s) => s.supported) / citations,
    invented: sum((s) => s.invented),
    leaks: sum((s) => s.leaks),
    cases: scores.length,
  }
}

export const TARGETS = { recall: 0.75, precision: 0.95, invented: 0, leaks: 0 }

export const meetsTargets = (t: Totals): boolean =>
  t.recall >= TARGETS.recall && t.precision >= TARGETS.precision && t.invented <= TARGETS.invented && t.leaks <= TARGETS.leaks

export const lastLine = (t: Totals): string =>
  `summaries: recall ${t.recall.toFixed(2)}, citation precision ${t.precision.toFixed(2)}, invented identifiers ${t.invented} over ${t.cases} cases, personal data leaked ${t.leaks}`
