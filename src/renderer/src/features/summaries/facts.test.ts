import { describe, expect, it } from 'vitest'
import { chipFacts, chipSource, chipText, sourceLine, stalenessText } from './facts'

describe('chipText', () => {
  it('shows the value of identifiers, amounts and dates', () => {
    expect(chipText({ text: 'The order number is A-1042', value: 'A-1042' })).toBe('A-1042')
  })

  it('shows a short sentence whole and cuts a long one at a word', () => {
    expect(chipText({ text: 'Wants a refund', value: null })).toBe('Wants a refund')
    const long = chipText({ text: 'Asked for the replacement to be delivered to the office address instead of home', value: null })
    expect(long).toBe('Asked for the replacement to be delivered…')
    expect(long.length).toBeLessThanOrEqual(43)
  })
})

describe('chipSource', () => {
  const fact = { sourceIds: ['m1', 'm2'] }

  it('opens the first cited item whose time is known', () => {
    expect(chipSource(fact, new Map([['m1', null], ['m2', 200]]))).toEqual({ id: 'm2', at: 200 })
  })

  it('opens the first cited item before the lookup has answered', () => {
    expect(chipSource(fact, undefined)).toEqual({ id: 'm1', at: null })
    expect(chipSource(fact, new Map([['m1', null]]))).toEqual({ id: 'm2', at: null })
  })

  it('has nothing to open when no cited item is in the cache', () => {
    expect(chipSource(fact, new Map([['m1', null], ['m2', null]]))).toBeNull()
  })
})

describe('the card lines', () => {
  it('names the model, the embedded summarizer, or why the embedded one answered', () => {
    expect(sourceLine({ provider: 'model', model: 'llama3.1:8b', fallbackReason: null })).toBe('llama3.1:8b')
    expect(sourceLine({ provider: 'embedded', model: null, fallbackReason: null })).toBe('Embedded summarizer')
    expect(sourceLine({ provider: 'embedded', model: null, fallbackReason: 'the model timed out' })).toBe('Written by the embedded summarizer: the model timed out')
  })

  it('counts new messages only when there are some', () => {
    expect(stalenessText({ newItems: 0, newestAt: null })).toBeNull()
    expect(stalenessText({ newItems: 1, newestAt: 5 })).toBe('1 new message')
    expect(stalenessText({ newItems: 3, newestAt: 5 })).toBe('3 new messages')
  })
})

describe('chipFacts', () => {
  it('gives a sentence said by two facts one chip, of the more telling kind, and keeps every value', () => {
    const facts = [
      { kind: 'request' as const, text: 'My order A-1 is broken.', value: null },
      { kind: 'identifier' as const, text: 'My order A-1 is broken.', value: 'A-1' },
      { kind: 'request' as const, text: 'Can you check?', value: null },
      { kind: 'open_question' as const, text: 'Can you check?', value: null },
    ]
    expect(chipFacts(facts).map((f) => `${f.kind}:${f.value ?? f.text}`)).toEqual(['request:My order A-1 is broken.', 'identifier:A-1', 'open_question:Can you check?'])
  })
})
