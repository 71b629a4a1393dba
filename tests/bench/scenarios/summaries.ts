import type { StoryContext, SummaryItem } from '../../../src/shared/summaries'
import { prepareSummarizer, summarizeStory, updateStory } from '../../../src/shared/summarizer'
import { latencyRow } from '../report'
import { summarize, timeEach } from '../stats'
import type { BenchContext } from './context'

/**
 * The embedded summarizer on a long customer history: a story from scratch over 10,000 items, and
 * the incremental update that runs when a few new messages arrive. Pure CPU, in this process: no
 * server, no database, so the figures are the summarizer's own.
 */

const HISTORY = 10_000
const NEW_ITEMS = 5

/** mulberry32: a small seeded generator, so every run summarizes the same history. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const CUSTOMER = [
  'Hi, my order {order} still has not arrived and the tracking page has not changed since {date}.',
  'I was charged {amount} twice for order {order}, can you refund the duplicate payment please?',
  'Could you tell me when the replacement for {order} will ship? I need it before {date}.',
  'The {product} I received is damaged, the box was crushed and one part is missing.',
  'Please call me after 5pm, I am at work during the day and cannot answer.',
  'This is the third time I write about invoice {invoice}, honestly this is unacceptable.',
  'Thanks, that works for me. Is there anything else you need from me?',
  'Can I change the delivery address for {order} to my office instead?',
  'I still have not received the refund of {amount} you promised on {date}.',
  'Where is my refund? It has been more than two weeks now.',
]
const AGENT = [
  "Sorry about the delay with {order}. I'll check with the courier and get back to you by {date}.",
  "I've issued a refund of {amount} to your original card; you will receive it within 5 working days.",
  "We can't refund the delivery fee on {order}, but I'll send you a voucher for your next order.",
  'Your replacement {product} will ship tomorrow, tracking number {tracking}.',
  'Thanks for the photos. I have escalated {order} to our warehouse team, ticket {ticket}.',
  'I can confirm the address for {order} has been updated.',
  'We will call you after 5pm as requested.',
  'Invoice {invoice} has been corrected and the new total is {amount}.',
]
const PRODUCTS = ['kettle', 'desk lamp', 'router', 'office chair', 'blender', 'headphones', 'monitor stand']
const MONTHS = ['January', 'March', 'May', 'July', 'September', 'October', 'November']

function history(count: number, seed: number, startAt: number, idPrefix: string): SummaryItem[] {
  const rand = seeded(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!
  const fill = (template: string): string =>
    template
      .replaceAll('{order}', `A-${10_000 + Math.floor(rand() * 900)}`)
      .replaceAll('{invoice}', `INV-2026-${String(Math.floor(rand() * 9_999)).padStart(4, '0')}`)
      .replaceAll('{tracking}', `1Z${Math.floor(rand() * 1e9)}`)
      .replaceAll('{ticket}', `TK-${1_000 + Math.floor(rand() * 9_000)}`)
      .replaceAll('{amount}', `$${(5 + rand() * 400).toFixed(2)}`)
      .replaceAll('{date}', `${1 + Math.floor(rand() * 28)} ${pick(MONTHS)}`)
      .replaceAll('{product}', pick(PRODUCTS))
  const items: SummaryItem[] = []
  for (let i = 0; i < count; i++) {
    const customer = rand() < 0.55
    // Two or three sentences a message: 20–60 words, as support messages run.
    const sentences = 1 + Math.floor(rand() * 3)
    const text = Array.from({ length: sentences }, () => fill(pick(customer ? CUSTOMER : AGENT))).join(' ')
    items.push({
      id: `${idPrefix}${i}`,
      kind: 'message',
      conversationId: `c${Math.floor(i / 40)}`,
      channel: pick(['email', 'chat', 'sms', 'whatsapp'] as const),
      author: customer ? 'customer' : 'agent',
      at: startAt + i * 3_600_000,
      text,
    })
  }
  return items
}

export async function runSummaryScenarios(ctx: BenchContext): Promise<void> {
  const start = Date.UTC(2025, 0, 1)
  const items = history(HISTORY, 7, start, 'h')
  const last = items.at(-1)!
  const context: StoryContext = {
    open: [{ id: last.conversationId, status: 'open', channel: last.channel, subject: 'Replacement and refund' }],
    conversationCount: Math.ceil(HISTORY / 40),
  }
  await prepareSummarizer()
  const scratch = await timeEach(15, () => summarizeStory(items, context), 3)
  const previous = summarizeStory(items, context)
  // Each run adds a different batch of new items to the same previous story.
  const batches = Array.from({ length: 60 }, (_, b) =>
    history(NEW_ITEMS, 1_000 + b, last.at + 3_600_000, `n${b}-`).map((i) => ({ ...i, conversationId: last.conversationId })),
  )
  const incremental = await timeEach(50, (i) => updateStory(previous, batches[i % batches.length]!, context), 10)
  const words = previous.text.split(/\s+/u).filter(Boolean).length
  ctx.log(`  story over ${HISTORY.toLocaleString('en')} items: ${previous.facts.length} facts, ${words} words`)
  ctx.rows.push(
    latencyRow('summary-story-scratch', `customer story from scratch over ${HISTORY.toLocaleString('en')} items (embedded summarizer)`, summarize(scratch), { p95: 200 }),
    latencyRow('summary-story-incremental', `  incremental update of that story with ${NEW_ITEMS} new items`, summarize(incremental), { p95: 20 }),
  )
}
