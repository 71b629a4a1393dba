import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Summary } from '../../shared/domain'
import { summaryId, type SummaryItem, type SummaryUsage } from '../../shared/summaries'
import { completion, itemIdsOf, startFakeModel, type FakeModel } from '../../../tests/support/chat-completions'
import { ModelSummarizer } from './model-provider'
import { authorOf } from './summary-author'
import type { CustomerHistory } from './summary-items'

let fake: FakeModel

beforeEach(async () => {
  fake = await startFakeModel((body) =>
    completion({ story: 'Wants a refund for order 40117.', facts: [{ kind: 'identifier', text: 'Order 40117', value: '40117', sourceIds: [itemIdsOf(body)[0]] }] }),
  )
})

afterEach(async () => {
  await fake.close()
})

const T0 = Date.UTC(2026, 10, 2, 8, 30)

const item = (n: number, text: string): SummaryItem => ({
  id: `m${n}`,
  kind: 'message',
  conversationId: 'c1',
  channel: 'email',
  author: 'customer',
  at: T0 + n * 60_000,
  text,
})

const items = [item(1, 'Order 40117 arrived with a cracked lid.'), item(2, 'I would like a refund rather than a replacement.'), item(3, 'Any news?')]

const history = (upTo: number): CustomerHistory => ({
  items: items.slice(0, upTo),
  inboxOf: new Map(items.map((i) => [i.id, 'support'])),
  conversations: [],
  context: { open: [{ id: 'c1', status: 'open', channel: 'email', subject: 'Cracked lid' }], conversationCount: 1 },
})

/** The story as the store keeps it after it read the first `upTo` items. */
const storyAfter = (upTo: number): Summary => ({
  id: summaryId('customer_story', 'cu1'),
  kind: 'customer_story',
  customerId: 'cu1',
  conversationId: null,
  callId: null,
  text: 'Wants a replacement for order 40117.',
  facts: [{ kind: 'request', text: 'Wants a replacement', value: null, sourceIds: ['m1'] }],
  provider: 'model',
  model: 'loopback-7b',
  fallbackReason: null,
  coversItemId: items[upTo - 1]!.id,
  coversThrough: items[upTo - 1]!.at,
  itemCount: upTo,
  inboxes: ['support'],
  generatedAt: T0 + upTo * 60_000,
  updatedOnDevice: null,
})

function author() {
  const usage: SummaryUsage = { requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 }
  return authorOf(
    new ModelSummarizer({
      endpoint: { url: fake.url, model: 'loopback-7b', key: null },
      usage: { usageOn: () => Promise.resolve(usage), addUsage: () => Promise.resolve() },
      defaultCountry: 'GB',
      retries: 0,
    }),
  )
}

const sentText = (n: number): string => JSON.stringify(fake.bodies[n]!.messages)

describe('the customer story’s author', () => {
  it('sends the previous story and only the new items when items arrived since it', async () => {
    const written = await author().story(history(3), storyAfter(2))
    expect(written).toMatchObject({ provider: 'model' })
    expect(fake.bodies).toHaveLength(1)
    expect(itemIdsOf(fake.bodies[0]!)).toEqual(['m3'])
    expect(sentText(0)).toContain('Wants a replacement')
  })

  it('asks the model nothing when no item arrived since the story', async () => {
    expect(await author().story(history(2), storyAfter(2))).toBeNull()
    expect(fake.bodies).toHaveLength(0)
  })

  it('writes a story asked for afresh from the whole history, without the previous one', async () => {
    const written = await author().story(history(2), storyAfter(2), { afresh: true })
    expect(written).toMatchObject({ provider: 'model', draft: { text: 'Wants a refund for order 40117.' } })
    expect(fake.bodies).toHaveLength(1)
    expect(itemIdsOf(fake.bodies[0]!)).toEqual(['m1', 'm2'])
    expect(sentText(0)).not.toContain('Wants a replacement')
  })
})
