import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { STORY_MAX_WORDS, wordCount, type StoryContext, type SummaryItem } from '../summaries'
import { summarizeCall, summarizeConversation, summarizeStory, updateStory } from './index'
import { prepareSummarizer } from './nlp'

beforeAll(prepareSummarizer)

const T0 = Date.UTC(2026, 9, 1, 9, 0)
let seq = 0
function item(author: 'customer' | 'agent', text: string, extra: Partial<SummaryItem> = {}): SummaryItem {
  seq++
  return { id: `m${seq}`, kind: 'message', conversationId: 'c1', channel: 'email', author, at: T0 + seq * 60_000, text, ...extra }
}
const context: StoryContext = { open: [{ id: 'c1', status: 'open', channel: 'email', subject: 'Refund for order A-10293' }], conversationCount: 2 }

describe('summarizeStory', () => {
  it("makes an agent's commitment a promise citing its message", () => {
    const ask = item('customer', 'My order A-10293 arrived broken. Can I get a refund?')
    const reply = item('agent', "Sorry about that! I'll send a replacement within 5 days.")
    const { facts } = summarizeStory([ask, reply], context)
    const promise = facts.find((f) => f.kind === 'promise')
    expect(promise?.text).toContain('replacement')
    expect(promise?.sourceIds).toEqual([reply.id])
  })

  it('does not read "we can\'t refund" as a refund promise', () => {
    const ask = item('customer', 'Please refund order A-10293.')
    const reply = item('agent', "I'm afraid we can't refund this order, but I'll send you a discount code.")
    const refusal = item('agent', 'We will not refund opened items.')
    const promises = summarizeStory([ask, reply, refusal], context).facts.filter((f) => f.kind === 'promise')
    expect(promises.map((p) => p.text)).toEqual(["I'll send you a discount code."])
  })

  it('cites every message that mentions an order number in one fact', () => {
    const a = item('customer', 'Where is my order A-10293? It is late.')
    const b = item('agent', 'Order A-10293 left our warehouse today.')
    const c = item('customer', 'Thanks.')
    const ids = summarizeStory([a, b, c], context).facts.filter((f) => f.value === 'A-10293')
    expect(ids).toHaveLength(1)
    expect(ids[0]!.kind).toBe('identifier')
    expect(ids[0]!.sourceIds).toEqual([a.id, b.id])
  })

  it('keeps amounts and dates as written, in other languages too', () => {
    const m = item('customer', 'Hola, el pedido nº 48213 de 49,99 € no llegó el 5 de octubre. ¿Pueden revisarlo?')
    const facts = summarizeStory([m], context).facts
    expect(facts.map((f) => f.value).filter(Boolean)).toEqual(expect.arrayContaining(['48213', '49,99 €', '5 de octubre']))
    expect(facts.some((f) => f.kind === 'open_question')).toBe(true)
  })

  it('closes a question once an agent answers it, and keeps one nobody answered', () => {
    const q = item('customer', 'When will the replacement courier arrive?')
    const a = item('agent', 'The replacement courier arrives Tuesday morning.')
    const q2 = item('customer', 'Can I change the delivery address too?')
    const open = summarizeStory([q, a, q2], context).facts.filter((f) => f.kind === 'open_question')
    expect(open.map((f) => f.sourceIds)).toEqual([[q2.id]])
  })

  it('tells the story in at most 80 words, ending with the status', () => {
    const items = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0
        ? item('customer', `Could you please check order B-${1000 + i} and the charge of $${i}.50 on my card? It is the ${i}th time I write about it.`)
        : item('agent', `We'll look into order B-${1000 + i - 1} and you will receive an update within 2 days about the refund of the charge.`),
    )
    const { text, facts } = summarizeStory(items, context)
    expect(wordCount(text)).toBeLessThanOrEqual(STORY_MAX_WORDS)
    expect(text).toMatch(/Open on email \(“Refund for order A-10293”\) since 2026-10-01\.$/)
    expect(facts.length).toBeLessThanOrEqual(40)
  })

  it('gives the same story for the same items, in whatever order they come', () => {
    const items = [item('customer', 'Please cancel ticket TK-5512, I am furious.'), item('agent', "I've cancelled TK-5512 and you will get €20.00 back by Friday.")]
    const a = summarizeStory(items, context)
    const b = summarizeStory([...items].reverse(), context)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
  })

  it('never states a value its cited items do not contain, whatever the text', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .array(fc.constantFrom('order', 'A-10293', '#4821', '$12.50', '€', '3 October 2026', 'we will', 'refund', '?', 'no.', ' ', '\n', '😞', 'Agent:', 'Customer:', '5.12.0', 'INV-1'), {
          maxLength: 40,
        })
        .map((parts) => parts.join(' ')),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), text), { maxLength: 8 }), (rows) => {
        const items = rows.map(([agent, t], i) => ({ ...item(agent ? 'agent' : 'customer', t), id: `p${i}` }))
        const byId = new Map(items.map((i) => [i.id, i.text]))
        const { text: story, facts } = summarizeStory(items, context)
        expect(wordCount(story)).toBeLessThanOrEqual(STORY_MAX_WORDS)
        for (const f of facts) {
          expect(f.sourceIds.length).toBeGreaterThan(0)
          for (const id of f.sourceIds) {
            expect(byId.has(id)).toBe(true)
            if (f.value) expect(byId.get(id)).toContain(f.value)
          }
        }
      }),
      { numRuns: 150 },
    )
  })

  it('survives empty, emoji-only and very long texts', () => {
    const long = 'Please help with order ZX-99812. '.repeat(3_200)
    const draft = summarizeStory([item('customer', ''), item('customer', '😞😞😞'), item('customer', long)], context)
    expect(draft.facts.some((f) => f.value === 'ZX-99812')).toBe(true)
    expect(summarizeStory([], { open: [], conversationCount: 0 })).toEqual({ text: '', facts: [] })
  })
})

describe('updateStory', () => {
  it('keeps the old facts and adds those of the new items', () => {
    const old = [item('customer', 'My order A-10293 never arrived. Can you resend it?'), item('agent', "I'll resend order A-10293 today.")]
    const previous = summarizeStory(old, context)
    const added = item('customer', 'The resent parcel for A-10293 came, but invoice INV-2026-0042 charges $45.99 twice. Can you fix the invoice?')
    const next = updateStory(previous, [added], context)
    for (const f of previous.facts) expect(next.facts.some((g) => g.kind === f.kind && (f.value ? g.value === f.value : g.text === f.text))).toBe(true)
    expect(next.facts.find((f) => f.value === 'A-10293')?.sourceIds).toEqual([old[0]!.id, old[1]!.id, added.id])
    expect(next.facts.find((f) => f.value === 'INV-2026-0042')?.sourceIds).toEqual([added.id])
    expect(next.text).toContain('since 2026-10-01')
    expect(wordCount(next.text)).toBeLessThanOrEqual(STORY_MAX_WORDS)
  })

  it('closes an old open question when a new agent message answers it', () => {
    const previous = summarizeStory([item('customer', 'When will my replacement courier arrive?')], context)
    expect(previous.facts.some((f) => f.kind === 'open_question')).toBe(true)
    const next = updateStory(previous, [item('agent', 'Your replacement courier arrives on Tuesday.')], context)
    expect(next.facts.some((f) => f.kind === 'open_question')).toBe(false)
  })
})

describe('wrap-ups', () => {
  it("sums up a resolved conversation: the ask, what was done, how it ended", () => {
    const items = [item('customer', 'I was charged twice for order Q-7781, can you refund one?'), item('agent', "I've refunded the duplicate charge of £12.00 for Q-7781.")]
    const { text, facts } = summarizeConversation(items)
    expect(text).toMatch(/^Asked: .*charged twice.*Done or promised: .*refunded.*Resolved on email after 2 items/u)
    expect(facts.some((f) => f.kind === 'amount' && f.value === '£12.00')).toBe(true)
  })

  it('says a question nobody answered before the conversation was resolved was left unanswered, not that it is still open', () => {
    const items = [
      item('customer', 'My parcel P-5520 never came. Will you refund the $18.00 shipping too?'),
      item('agent', 'I have sent a new parcel, tracking T-88120.'),
    ]
    const { text } = summarizeConversation(items)
    expect(text).toContain('Left unanswered:')
    expect(text).not.toContain('Still open:')
    expect(summarizeStory(items, context).text).toContain('Still open:')
  })

  it("reads who says what in a call transcript", () => {
    const call = item('customer', 'Transcript: Customer: My router RT-4410 keeps dropping. Can you send an engineer? Agent (Sam): I will book an engineer for Friday.', { kind: 'call', channel: 'voice' })
    const { text, facts } = summarizeCall(call)
    expect(facts.find((f) => f.kind === 'promise')?.text).toContain('book an engineer')
    expect(facts.some((f) => f.kind === 'request' && f.text.includes('engineer'))).toBe(true)
    expect(text).toMatch(/Call on 2026-10-01 at \d\d:\d\d UTC\.$/u)
  })
})
