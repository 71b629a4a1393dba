import type { FactKind, Summary, SummaryFact } from '../../../../shared/domain'
import type { Staleness } from '../../../../shared/summaries'

export const FACT_LABELS: Record<FactKind, string> = {
  request: 'Request',
  promise: 'Promise',
  identifier: 'Reference',
  amount: 'Amount',
  date: 'Date',
  preference: 'Preference',
  open_question: 'Open question',
  sentiment: 'Sentiment',
}

/** Which of two facts saying the same sentence keeps its chip: the more telling kind. */
const KIND_WEIGHT: Record<FactKind, number> = {
  open_question: 0,
  promise: 1,
  request: 2,
  preference: 3,
  sentiment: 4,
  identifier: 5,
  amount: 5,
  date: 5,
}

/**
 * The facts as chips show them: a value (an order number, an amount, a date) always has its own
 * chip; a sentence said by two facts of other kinds (a request that is also the open question)
 * gets one chip, of the more telling kind, where the first of them stood.
 */
export function chipFacts<F extends Pick<SummaryFact, 'kind' | 'text' | 'value'>>(facts: readonly F[]): F[] {
  const kept: F[] = []
  const bySentence = new Map<string, number>()
  for (const fact of facts) {
    if (fact.value) {
      kept.push(fact)
      continue
    }
    const sentence = fact.text.trim().toLowerCase()
    const at = bySentence.get(sentence)
    if (at === undefined) {
      bySentence.set(sentence, kept.length)
      kept.push(fact)
    } else if (KIND_WEIGHT[fact.kind] < KIND_WEIGHT[(kept[at] as F).kind]) {
      kept[at] = fact
    }
  }
  return kept
}

/** How much of a fact's sentence a chip shows; its tooltip holds all of it. */
const CHIP_CHARS = 42

/** What a chip says: the value itself for identifiers, amounts and dates, else the start of the sentence. */
export function chipText(fact: Pick<SummaryFact, 'text' | 'value'>): string {
  const text = fact.value?.trim() || fact.text.trim()
  if (text.length <= CHIP_CHARS) return text
  const cut = text.slice(0, CHIP_CHARS)
  const space = cut.lastIndexOf(' ')
  return `${(space > CHIP_CHARS / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:–-]+$/, '')}…`
}

/** The item a chip opens: the first cited one this agent's cache holds, else the first not looked up yet. */
export function chipSource(fact: Pick<SummaryFact, 'sourceIds'>, times: ReadonlyMap<string, number | null> | undefined): { id: string; at: number | null } | null {
  for (const id of fact.sourceIds) {
    const at = times?.get(id)
    if (at !== undefined && at !== null) return { id, at }
  }
  // Not looked up yet: found when clicked. Every cited item looked up and none found: nothing to open.
  const unknown = fact.sourceIds.find((id) => times?.get(id) === undefined)
  return unknown === undefined ? null : { id: unknown, at: null }
}

/** Who wrote a summary, as its card says. */
export function sourceLine(summary: Pick<Summary, 'provider' | 'model' | 'fallbackReason'>): string {
  if (summary.fallbackReason) return `Written by the embedded summarizer: ${summary.fallbackReason}`
  if (summary.provider === 'model') return summary.model ?? 'A language model'
  return 'Embedded summarizer'
}

/** "3 new messages" — the items newer than the last one a summary covers. */
export function stalenessText(staleness: Staleness): string | null {
  if (staleness.newItems <= 0) return null
  return staleness.newItems === 1 ? '1 new message' : `${staleness.newItems} new messages`
}
