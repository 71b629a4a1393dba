import { describe, expect, it } from 'vitest'
import type { SummaryItem } from '../../shared/summaries'
import { buildPrompt, estimateTokens, parseReply } from './model-prompt'
import { Redactor } from './redaction'

const T0 = Date.UTC(2026, 9, 1, 9, 12)

const item = (n: number, over: Partial<SummaryItem> = {}): SummaryItem => ({
  id: `m${n}`,
  kind: 'message',
  conversationId: 'c1',
  channel: 'email',
  author: n % 2 === 0 ? 'agent' : 'customer',
  at: T0 + n * 60_000,
  text: `Message number ${n} about the broken kettle.`,
  ...over,
})

const context = { open: [{ id: 'c1', status: 'pending' as const, channel: 'email' as const, subject: 'Kettle for jo@example.com' }], conversationCount: 2 }

const userText = (p: ReturnType<typeof buildPrompt>): string => p.request.messages[1]!.content

describe('buildPrompt', () => {
  it('writes each item as a line with its id, channel, author and time, redacted, and asks for the reply schema', () => {
    const items = [
      item(1, { text: 'My kettle\nbroke. Mail me at jo@example.com' }),
      item(2, { channel: 'sms', text: 'We will send a new one.' }),
      item(3, { kind: 'call', channel: 'voice', text: 'Called about the delivery date' }),
      item(4, { kind: 'note', text: 'VIP customer' }),
    ]
    const p = buildPrompt({ kind: 'customer_story', items, context, previous: null }, { model: 'llama3', tokenBudget: 12_000, redactor: new Redactor('US') })
    expect(userText(p).split('\n')).toEqual([
      'Conversations in all: 2. Not resolved: c1 (email, pending, "Kettle for [EMAIL_1]").',
      'History, oldest first:',
      '[m1 · email · customer · 2026-10-01 09:13] My kettle broke. Mail me at [EMAIL_1]',
      '[m2 · SMS · agent · 2026-10-01 09:14] We will send a new one.',
      '[m3 · phone · call record · 2026-10-01 09:15] Called about the delivery date',
      '[m4 · email · agent note · 2026-10-01 09:16] VIP customer',
    ])
    expect(p.request).toMatchObject({ model: 'llama3', temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'summary', strict: true } } })
    expect(p.request.messages[0]!.content).toMatch(/at most 80 words/)
    expect(p.request.response_format.json_schema.schema.properties.facts.items.properties.kind.enum).toContain('identifier')
    expect(p.sources.map((s) => s.id)).toEqual(['m1', 'm2', 'm3', 'm4'])
    expect(p.omitted).toBe(0)
  })

  it('over budget keeps the first item and the newest ones, and says how many were left out', () => {
    const items = Array.from({ length: 200 }, (_, i) => item(i + 1))
    const p = buildPrompt({ kind: 'wrap_up', items }, { model: 'm', tokenBudget: 1000, redactor: new Redactor('US') })
    const lines = userText(p).split('\n')
    expect(lines[1]).toMatch(/^\[m1 · /)
    expect(lines[2]).toBe(`(${p.omitted} later items left out here for length)`)
    expect(lines.at(-1)).toMatch(/^\[m200 · /)
    expect(p.omitted).toBeGreaterThan(150)
    expect(p.sources).toHaveLength(200 - p.omitted)
    expect(p.estimatedTokens).toBeLessThanOrEqual(1000)
    expect(estimateTokens(JSON.stringify(p.request.messages))).toBeLessThan(1100)
  })

  it('an update sends the previous story and facts (redacted) and only the new items; previous facts count as sources', () => {
    const previous = {
      text: 'Kettle broke; refund to DE89 3704 0044 0532 0130 00 promised.',
      facts: [{ kind: 'identifier' as const, text: 'Refund IBAN', value: 'DE89 3704 0044 0532 0130 00', sourceIds: ['m1'] }],
    }
    const p = buildPrompt({ kind: 'customer_story', items: [item(7)], context, previous }, { model: 'm', tokenBudget: 12_000, redactor: new Redactor('US') })
    const text = userText(p)
    expect(text).toContain('Previous story:\nKettle broke; refund to [IBAN_1] promised.')
    expect(text).toContain('{"kind":"identifier","text":"Refund IBAN","value":"[IBAN_1]","sourceIds":["m1"]}')
    expect(text).toContain('New items, oldest first:\n[m7 · ')
    expect(text).not.toContain('0532')
    expect(p.sources).toEqual([
      { id: 'm1', text: 'Refund IBAN [IBAN_1]' },
      { id: 'm7', text: 'Message number 7 about the broken kettle.' },
    ])
    expect(p.request.messages[0]!.content).toMatch(/previous story/)
  })
})

describe('parseReply', () => {
  const good = { story: 'Kettle broke; a new one is on its way.', facts: [{ kind: 'promise', text: 'New kettle sent', value: null, sourceIds: ['m2'] }] }

  it('reads JSON matching the schema, fenced or not', () => {
    expect(parseReply(JSON.stringify(good))).toEqual({ ok: true, reply: good })
    expect(parseReply('```json\n' + JSON.stringify(good) + '\n```')).toEqual({ ok: true, reply: good })
  })

  it('tells a reply that is not JSON from one that does not match the schema', () => {
    expect(parseReply('Sure! Here is the summary: the kettle broke.')).toMatchObject({ ok: false, problem: 'not_json' })
    expect(parseReply(JSON.stringify({ story: good.story }))).toMatchObject({ ok: false, problem: 'schema' })
    expect(parseReply(JSON.stringify({ ...good, facts: [{ ...good.facts[0], kind: 'gossip' }] }))).toMatchObject({ ok: false, problem: 'schema' })
  })

  it('cuts a story longer than 80 words at 80, keeping the rest of the reply', () => {
    const long = parseReply(JSON.stringify({ ...good, story: `${'word '.repeat(85)}end.` }))
    expect(long).toMatchObject({ ok: true, reply: { facts: good.facts } })
    const story = long.ok ? long.reply.story : ''
    expect(story.split(/\s+/)).toHaveLength(80)
    expect(story.endsWith('word…')).toBe(true)
  })
})
