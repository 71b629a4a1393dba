import type { SummaryFact } from '../../shared/domain'

/**
 * A model may cite a message that was never sent to it, or state an order number or an amount
 * that no message says. Agents act on facts (refund $45.99, order A-10293), so a fact is kept
 * only when what it names can be found in the items it cites, as they were sent to the model.
 */

/** A text a fact may cite: an item as sent (redacted), or a previous fact standing for items not sent again. */
export interface FactSource {
  id: string
  text: string
}

export interface DroppedFact {
  fact: SummaryFact
  reason: string
}

export interface FactCheck {
  kept: SummaryFact[]
  dropped: DroppedFact[]
}

/** Case and runs of white space do not make two spellings differ. */
const normalize = (text: string): string => text.toLowerCase().replace(/\s+/g, ' ').trim()

/**
 * Numbers and identifiers in a sentence: runs of letters, digits and the marks that join them
 * (A-10293, 45.99, #5521, 09:12, [IBAN_1]) holding at least one digit. Marks at either end are
 * not part of them ("#5521" is "5521", "on 2026-10-01." is "2026-10-01").
 */
export function identifierTokens(text: string): string[] {
  const runs = text.match(/[\p{L}\p{N}#$€£_.:/,-]+/gu) ?? []
  return runs.map((run) => run.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter((token) => /\p{N}/u.test(token))
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** The token stands alone in the text: "5521" is in "order #5521" but not in "55210". */
const occursAsToken = (token: string, text: string): boolean =>
  new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(token.toLowerCase())}(?![\\p{L}\\p{N}])`, 'u').test(text)

export function checkFacts(facts: readonly SummaryFact[], sources: readonly FactSource[]): FactCheck {
  const textsById = new Map<string, string[]>()
  for (const source of sources) {
    const texts = textsById.get(source.id) ?? []
    texts.push(normalize(source.text))
    textsById.set(source.id, texts)
  }
  const kept: SummaryFact[] = []
  const dropped: DroppedFact[] = []
  for (const fact of facts) {
    const reason = whyNot(fact, textsById)
    if (reason) dropped.push({ fact, reason })
    else kept.push(fact)
  }
  return { kept, dropped }
}

function whyNot(fact: SummaryFact, textsById: ReadonlyMap<string, string[]>): string | null {
  const unknown = fact.sourceIds.filter((id) => !textsById.has(id))
  if (unknown.length > 0) return `cites ${unknown.join(', ')}, which ${unknown.length === 1 ? 'was' : 'were'} not in the input`
  const cited = fact.sourceIds.flatMap((id) => textsById.get(id) ?? [])
  if (fact.value && !cited.some((text) => text.includes(normalize(fact.value!)))) {
    return `its value "${fact.value}" is not in ${fact.sourceIds.join(', ')}`
  }
  const missing = identifierTokens(fact.text).filter((token) => !cited.some((text) => occursAsToken(token, text)))
  if (missing.length > 0) return `"${missing.join('", "')}" ${missing.length === 1 ? 'is' : 'are'} not in ${fact.sourceIds.join(', ')}`
  return null
}
