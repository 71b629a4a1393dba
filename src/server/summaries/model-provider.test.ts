import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { SummaryFact } from '../../shared/domain'
import { prepareSummarizer, summarizeCall, summarizeConversation, summarizeStory, updateStory } from '../../shared/summarizer'
import type { StoryContext, SummaryItem, SummaryUsage } from '../../shared/summaries'
import { completion, startFakeModel, type FakeModel } from '../../../tests/support/chat-completions'
import { fallbackReasonFor, ModelSummarizer, parseRetryAfter, type ModelSummarizerOptions, type SummaryUsageStore } from './model-provider'

beforeAll(prepareSummarizer)

let fake: FakeModel

beforeEach(async () => {
  fake = await startFakeModel(() => completion(goodReply()))
})

afterEach(async () => {
  await fake.close()
})

const T0 = Date.UTC(2026, 9, 1, 9, 12)

const EMAIL = 'maria.lopez@example.com'
const PHONE = '(415) 555-2671'
const CARD = '4111 1111 1111 1111'
const IBAN = 'DE89 3704 0044 0532 0130 00'

const items: SummaryItem[] = [
  {
    id: 'm1',
    kind: 'message',
    conversationId: 'c1',
    channel: 'email',
    author: 'customer',
    at: T0,
    text: `My order #5521 arrived broken. I paid $45.99 with card ${CARD}. Reach me at ${EMAIL} or ${PHONE}.`,
  },
  { id: 'm2', kind: 'message', conversationId: 'c1', channel: 'email', author: 'agent', at: T0 + 3_600_000, text: 'Sorry about that! Send us your IBAN and we refund you.' },
  { id: 'm3', kind: 'message', conversationId: 'c1', channel: 'sms', author: 'customer', at: T0 + 7_200_000, text: `Here it is: ${IBAN}. Please call ${PHONE} when done.` },
]

const context: StoryContext = { open: [{ id: 'c1', status: 'pending', channel: 'email', subject: 'Broken kettle, order #5521' }], conversationCount: 1 }

const fact = (f: Pick<SummaryFact, 'kind' | 'text' | 'sourceIds'> & { value?: string | null }): SummaryFact => ({ value: null, ...f })

function goodReply(facts?: SummaryFact[]): { story: string; facts: SummaryFact[] } {
  return {
    story: 'Order #5521 arrived broken; the customer paid $45.99. A refund to [IBAN_1] was promised; call [PHONE_1] when done.',
    facts: facts ?? [
      fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m1'] }),
      fact({ kind: 'amount', text: 'Paid $45.99 with [CARD_1]', value: '$45.99', sourceIds: ['m1'] }),
      fact({ kind: 'identifier', text: 'Refund to [IBAN_1]', value: '[IBAN_1]', sourceIds: ['m3'] }),
      fact({ kind: 'preference', text: 'Prefers a call on [PHONE_1] or mail to [EMAIL_1]', sourceIds: ['m1', 'm3'] }),
    ],
  }
}

/** Usage kept in memory, as the store keeps it per UTC day. */
class MemoryUsage implements SummaryUsageStore {
  readonly days = new Map<string, SummaryUsage>()
  usageOn(day: string): Promise<SummaryUsage> {
    return Promise.resolve({ requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0, ...this.days.get(day) })
  }
  async addUsage(day: string, delta: SummaryUsage): Promise<void> {
    const now = await this.usageOn(day)
    this.days.set(day, {
      requests: now.requests + delta.requests,
      promptTokens: now.promptTokens + delta.promptTokens,
      completionTokens: now.completionTokens + delta.completionTokens,
      failures: now.failures + delta.failures,
      fallbacks: now.fallbacks + delta.fallbacks,
    })
  }
}

const DAY = '2026-10-01'
let usage: MemoryUsage
let warnings: { obj: object; msg: string }[]
beforeEach(() => {
  usage = new MemoryUsage()
  warnings = []
})

function summarizer(over: Partial<ModelSummarizerOptions> = {}): ModelSummarizer {
  return new ModelSummarizer({
    endpoint: { url: fake.url, model: 'test-model', key: 'sk-test-key' },
    usage,
    defaultCountry: 'US',
    timeoutMs: 2_000,
    retryBaseMs: 5,
    now: () => T0 + 8 * 3_600_000,
    log: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    ...over,
  })
}

describe('ModelSummarizer', () => {
  it('sends the history to the model and keeps its story and facts, with the real values put back', async () => {
    const outcome = await summarizer().summarizeStory(items, context)
    expect(outcome).toEqual({
      provider: 'model',
      model: 'test-model',
      fallbackReason: null,
      draft: {
        text: `Order #5521 arrived broken; the customer paid $45.99. A refund to ${IBAN} was promised; call ${PHONE} when done.`,
        facts: [
          fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m1'] }),
          fact({ kind: 'amount', text: `Paid $45.99 with ${CARD}`, value: '$45.99', sourceIds: ['m1'] }),
          fact({ kind: 'identifier', text: `Refund to ${IBAN}`, value: IBAN, sourceIds: ['m3'] }),
          fact({ kind: 'preference', text: `Prefers a call on ${PHONE} or mail to ${EMAIL}`, sourceIds: ['m1', 'm3'] }),
        ],
      },
    })
    expect(fake.bodies).toHaveLength(1)
    const [body] = fake.bodies
    expect(body).toMatchObject({ model: 'test-model', response_format: { type: 'json_schema' } })
    expect(body!.messages[1]!.content).toContain('[m3 · SMS · customer · 2026-10-01 11:12] Here it is: [IBAN_1]. Please call [PHONE_1] when done.')
    expect(fake.headers[0]!.authorization).toBe('Bearer sk-test-key')
  })

  it('sends no email, phone number, card number or IBAN of the input, in any request', async () => {
    fake.answer = (_, n) => (n === 1 ? { status: 500 } : completion(goodReply()))
    await summarizer().summarizeStory(items, context)
    await summarizer().summarizeConversation(items)
    await summarizer().summarizeStory([items[2]!], context, { text: `Refund to ${IBAN} promised; mail ${EMAIL}.`, facts: [fact({ kind: 'identifier', text: `Card ${CARD}`, value: CARD, sourceIds: ['m1'] })] })
    expect(fake.bodies).toHaveLength(4)
    for (const body of fake.bodies) {
      const sent = JSON.stringify(body)
      const digits = sent.replace(/\D/g, '')
      expect(sent).not.toContain(EMAIL)
      for (const value of [PHONE, CARD]) expect(digits).not.toContain(value.replace(/\D/g, ''))
      expect(sent.replace(/\s/g, '')).not.toContain(IBAN.replace(/\s/g, ''))
      expect(sent).toContain('[IBAN_1]')
    }
  })

  it('drops a fact citing an item it was not sent, and one naming a number its item does not say, and keeps the others', async () => {
    fake.answer = () =>
      completion(
        goodReply([
          fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m1'] }),
          fact({ kind: 'promise', text: 'Refund promised', sourceIds: ['m2', 'm99'] }),
          fact({ kind: 'amount', text: 'Refund of $54.99 promised', sourceIds: ['m2'] }),
          fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m3'] }),
        ]),
      )
    const outcome = await summarizer().summarizeStory(items, context)
    expect(outcome.provider).toBe('model')
    expect(outcome.draft.facts).toEqual([fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m1'] })])
    expect(warnings).toEqual([
      {
        msg: 'summary model facts dropped: not backed by the items cited',
        obj: {
          model: 'test-model',
          dropped: ['cites m99, which was not in the input', '"54.99" is not in m2', 'its value "#5521" is not in m3'],
        },
      },
    ])
  })

  it('an update sends the previous story and facts and only the new items, and may keep facts citing earlier items', async () => {
    const previous = { text: 'Order #5521 broke.', facts: [fact({ kind: 'identifier', text: 'Order #5521', value: '#5521', sourceIds: ['m1'] })] }
    fake.answer = () =>
      completion({
        story: 'Order #5521 broke; refund to [IBAN_1] asked.',
        facts: [previous.facts[0], fact({ kind: 'identifier', text: 'Refund IBAN', value: '[IBAN_1]', sourceIds: ['m3'] })],
      })
    const outcome = await summarizer().summarizeStory([items[2]!], context, previous)
    expect(outcome.draft).toEqual({
      text: `Order #5521 broke; refund to ${IBAN} asked.`,
      facts: [previous.facts[0], fact({ kind: 'identifier', text: 'Refund IBAN', value: IBAN, sourceIds: ['m3'] })],
    })
    const user = fake.bodies[0]!.messages[1]!.content
    expect(user).toContain('Previous facts:')
    expect(user).not.toContain('[m1 · ')
    expect(user).toContain('[m3 · ')
  })

  it('a timeout is retried, and after the last try the embedded summarizer answers', async () => {
    fake.answer = () => ({ ...completion(goodReply()), delayMs: 400 })
    const outcome = await summarizer({ timeoutMs: 100, retries: 2 }).summarizeStory(items, context)
    expect(outcome).toEqual({ provider: 'embedded', model: null, fallbackReason: 'model timed out after 3 tries', draft: summarizeStory(items, context) })
    expect(fake.bodies).toHaveLength(3)
  })

  it('a 429 waits as long as Retry-After asks, up to the cap, then succeeds', async () => {
    fake.answer = (_, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'busy' } } : completion(goodReply()))
    const outcome = await summarizer({ retryMaxDelayMs: 300 }).summarizeStory(items, context)
    expect(outcome.provider).toBe('model')
    expect(fake.bodies).toHaveLength(2)
    const waited = fake.times[1]! - fake.times[0]!
    expect(waited).toBeGreaterThanOrEqual(280)
    expect(waited).toBeLessThan(900)
  })

  it('500 on every try: the embedded summarizer answers, saying so', async () => {
    fake.answer = () => ({ status: 500, body: { error: 'boom' } })
    const outcome = await summarizer().summarizeConversation(items)
    expect(outcome).toEqual({ provider: 'embedded', model: null, fallbackReason: 'model answered 500 three times', draft: summarizeConversation(items) })
    expect(fake.bodies).toHaveLength(3)
    expect(usage.days.get(DAY)).toEqual({ requests: 3, promptTokens: 0, completionTokens: 0, failures: 3, fallbacks: 1 })
  })

  it('a reply that is not JSON is tried once more, then the embedded summarizer answers', async () => {
    fake.answer = () => completion('Sure! The customer is upset about a kettle.')
    const outcome = await summarizer({ retries: 5 }).summarizeCall(items[0]!)
    expect(outcome).toEqual({ provider: 'embedded', model: null, fallbackReason: 'model reply was not JSON', draft: summarizeCall(items[0]!) })
    expect(fake.bodies).toHaveLength(2)
  })

  it('a reply that does not match the schema is tried once more; a good second reply is kept', async () => {
    fake.answer = (_, n) => (n === 1 ? completion({ story: 'x', facts: [{ kind: 'gossip', text: 'y', sourceIds: ['m1'] }] }) : completion(goodReply()))
    expect((await summarizer().summarizeStory(items, context)).provider).toBe('model')
    fake.answer = () => completion({ summary: 'no story key' })
    expect(await summarizer().summarizeStory(items, context)).toMatchObject({ provider: 'embedded', fallbackReason: 'model reply did not match the schema' })
    expect(fake.bodies).toHaveLength(4)
  })

  it('a refusal (401) is not retried', async () => {
    fake.answer = () => ({ status: 401, body: { error: 'bad key' } })
    expect(await summarizer().summarizeStory(items, context)).toMatchObject({ provider: 'embedded', fallbackReason: 'model refused the request: it answered 401' })
    expect(fake.bodies).toHaveLength(1)
  })

  it('an endpoint nobody listens on is retried, then falls back', async () => {
    const url = fake.url
    await fake.close()
    const outcome = await summarizer({ endpoint: { url, model: 'm', key: null }, retries: 1 }).summarizeStory(items, context)
    expect(outcome).toMatchObject({ provider: 'embedded', fallbackReason: 'model could not be reached after 2 tries (ECONNREFUSED)' })
  })

  it('items from an inbox never sent to a model are summarized by the embedded summarizer, and nothing is sent', async () => {
    const blockedInbox = (item: SummaryItem): string | null => (item.conversationId === 'c2' ? 'Legal' : null)
    const mixed = [...items, { ...items[0]!, id: 'm4', conversationId: 'c2' }]
    const outcome = await summarizer({ blockedInbox }).summarizeStory(mixed, context)
    expect(outcome).toEqual({ provider: 'embedded', model: null, fallbackReason: 'inbox Legal is not sent to a model', draft: summarizeStory(mixed, context) })
    expect(fake.bodies).toHaveLength(0)
    expect(usage.days.get(DAY)).toEqual({ requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 1 })
    expect((await summarizer({ blockedInbox }).summarizeStory(items, context)).provider).toBe('model')
  })

  it('past the daily request limit the embedded summarizer answers until the next UTC day', async () => {
    await usage.addUsage(DAY, { requests: 1, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 })
    let now = T0 + 8 * 3_600_000
    const s = summarizer({ dailyRequestLimit: 3, now: () => now })
    expect((await s.summarizeStory(items, context)).provider).toBe('model')
    const outcomes = await Promise.all([s.summarizeCall(items[0]!), s.summarizeCall(items[1]!), s.summarizeCall(items[2]!)])
    expect(outcomes.filter((o) => o.provider === 'model')).toHaveLength(1)
    expect(outcomes.filter((o) => o.fallbackReason === 'daily model request limit (3) reached')).toHaveLength(2)
    expect(fake.bodies).toHaveLength(2)
    expect(usage.days.get(DAY)).toMatchObject({ requests: 3, fallbacks: 2 })
    now += 24 * 3_600_000
    expect((await s.summarizeCall(items[0]!)).provider).toBe('model')
  })

  it('keeps at most `concurrency` requests in flight and queues the rest', async () => {
    fake.answer = () => ({ ...completion(goodReply()), delayMs: 80 })
    const s = summarizer({ concurrency: 2 })
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => s.summarizeStory(items, context)))
    expect(outcomes.every((o) => o.provider === 'model')).toBe(true)
    expect(fake.bodies).toHaveLength(6)
    expect(fake.maxInFlight).toBe(2)
  })

  it("records each request's tokens from the reply's usage, estimating them when it has none", async () => {
    await summarizer().summarizeStory(items, context)
    expect(usage.days.get(DAY)).toEqual({ requests: 1, promptTokens: 321, completionTokens: 54, failures: 0, fallbacks: 0 })
    fake.answer = () => completion(goodReply(), null)
    await summarizer().summarizeStory(items, context)
    const day = usage.days.get(DAY)!
    expect(day.requests).toBe(2)
    expect(day.promptTokens).toBeGreaterThan(321 + 100)
    expect(day.completionTokens).toBeGreaterThan(54 + 50)
  })

  it('without an endpoint the embedded summarizer answers with no fallback reason and nothing recorded', async () => {
    const outcome = await summarizer({ endpoint: null }).summarizeStory(items, context, { text: 'Before.', facts: [] })
    expect(outcome).toEqual({ provider: 'embedded', model: null, fallbackReason: null, draft: updateStory({ text: 'Before.', facts: [] }, items, context) })
    expect(usage.days.size).toBe(0)
  })
})

describe('fallback reasons and Retry-After', () => {
  it('says what went wrong and how often', () => {
    expect(fallbackReasonFor([{ kind: 'timeout' }])).toBe('model timed out after 1 try')
    expect(fallbackReasonFor([{ kind: 'status', status: 503, retryAfterMs: null }, { kind: 'status', status: 503, retryAfterMs: null }])).toBe('model answered 503 twice')
    expect(fallbackReasonFor([{ kind: 'timeout' }, { kind: 'status', status: 502, retryAfterMs: null }])).toBe('model failed 2 tries, the last answered 502')
  })

  it('reads Retry-After in seconds or as a date', () => {
    const now = Date.UTC(2026, 9, 1, 9, 0, 0)
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(null, now)).toBeNull()
  })
})
