import type { SummaryDraft, SummaryItem } from '../summaries'
import { channelName, chronological, composeText, finishFacts, toFacts, utcDay } from './compose'
import { newCollector, openers, readItem } from './facts'

/**
 * A resolved conversation's wrap-up and a call's summary: the same facts as a story, over one
 * conversation or one call, ending with how it went instead of where it stands.
 */

function read(items: readonly SummaryItem[], ended: boolean): { sorted: SummaryItem[]; draft: (tail: string) => SummaryDraft } {
  const sorted = chronological(items)
  const byId = new Map(sorted.map((i) => [i.id, i.text]))
  const c = newCollector()
  const first = openers(sorted)
  for (let i = sorted.length - 1; i >= 0; i--) readItem(c, sorted[i]!, i, first.has(sorted[i]!.id))
  const kept = finishFacts(c, (id) => byId.get(id))
  return { sorted, draft: (tail) => ({ text: composeText(kept, tail, { ended }), facts: toFacts(kept) }) }
}

export function summarizeConversation(items: readonly SummaryItem[]): SummaryDraft {
  const { sorted, draft } = read(items, true)
  const first = sorted[0]
  const last = sorted.at(-1)
  if (!first || !last) return { text: '', facts: [] }
  const span = utcDay(first.at) === utcDay(last.at) ? `on ${utcDay(first.at)}` : `from ${utcDay(first.at)} to ${utcDay(last.at)}`
  const n = sorted.length
  return draft(`Resolved on ${channelName(last.channel)} after ${n} ${n === 1 ? 'item' : 'items'}, ${span}.`)
}

export function summarizeCall(call: SummaryItem): SummaryDraft {
  const { draft } = read([call], false)
  const time = Number.isFinite(call.at) ? new Date(call.at).toISOString().slice(11, 16) : ''
  return draft(`Call on ${utcDay(call.at)}${time ? ` at ${time} UTC` : ''}.`)
}
