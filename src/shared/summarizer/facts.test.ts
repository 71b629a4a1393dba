import { beforeAll, describe, expect, it } from 'vitest'
import type { StoryContext, SummaryItem } from '../summaries'
import { newCollector, readEntities, winkNegatesPromise, type Candidate } from './facts'
import { summarizeStory } from './index'
import { prepareSummarizer } from './nlp'

beforeAll(prepareSummarizer)

describe('winkNegatesPromise', () => {
  it('sees a negation before the cue that the three-word window misses', () => {
    expect(winkNegatesPromise("I don't think we'll ship it today.")).toBe(true)
    expect(winkNegatesPromise('I really do not believe that we will ship it today.')).toBe(true)
    expect(winkNegatesPromise('We will not ship it today.')).toBe(true)
  })

  it('leaves a plain commitment a promise, and a negation later in the sentence outside it', () => {
    expect(winkNegatesPromise('We will ship it today.')).toBe(false)
    expect(winkNegatesPromise("I'll refund you once it's back, no need to send photos.")).toBe(false)
    expect(winkNegatesPromise('Thanks for your patience.')).toBe(false)
  })
})

const candidate = (text: string, sourceIds: string[]): Candidate => ({
  kind: 'promise',
  text,
  value: null,
  key: `promise|${text}`,
  sourceIds,
  sourcePositions: sourceIds.map(() => 3),
  last: 3,
  mentions: 1,
})

const values = (c: ReturnType<typeof newCollector>) =>
  [...c.byKey.values()].filter((f) => f.value !== null).map((f) => ({ kind: f.kind, value: f.value, sourceIds: f.sourceIds }))

describe('readEntities', () => {
  it('adds the dates and amounts wink finds in a kept sentence and the expressions miss, citing the items that say them verbatim', () => {
    // "$45" is the expressions' to find (readValues); wink adds what they cannot read.
    const text = "We'll refund 5 million dollars, or $45 in credit, by mid-November."
    const c = newCollector()
    readEntities(c, candidate(text, ['m1', 'm2']), (id) => (id === 'm1' ? text : 'Refund agreed.'))
    expect(values(c)).toEqual([
      { kind: 'amount', value: '5 million dollars', sourceIds: ['m1'] },
      { kind: 'date', value: 'mid-November', sourceIds: ['m1'] },
    ])
  })

  it('keeps nothing the cited items do not contain, nor a sentence that is not English', () => {
    const c = newCollector()
    readEntities(c, candidate('We will pay $45 on Friday.', ['m1']), () => 'Something else entirely.')
    readEntities(c, candidate('Wir werden am Freitag 45 Euro erstatten.', ['m2']), () => 'Wir werden am Freitag 45 Euro erstatten.')
    expect(values(c)).toEqual([])
  })

  it('adds no second date where the expressions read the same one, wider or narrower', () => {
    for (const text of ['We will ship it on the 3rd of October.', 'We will send the replacement by the end of next week.']) {
      const c = newCollector()
      readEntities(c, candidate(text, ['m1']), () => text)
      expect(values(c)).toEqual([])
    }
  })
})

describe('dates in a story', () => {
  const context: StoryContext = { open: [], conversationCount: 1 }
  const item = (id: string, author: SummaryItem['author'], text: string): SummaryItem => ({
    id,
    kind: 'message',
    conversationId: 'c1',
    channel: 'email',
    author,
    at: Number(id.slice(1)),
    text,
  })

  it('makes one date fact of "the end of next week", not a second of "next week"', () => {
    const { facts } = summarizeStory(
      [item('m1', 'customer', 'Where is my replacement?'), item('m2', 'agent', 'We will send the replacement by the end of next week.')],
      context,
    )
    expect(facts.filter((f) => f.kind === 'date').map((f) => f.value)).toEqual(['end of next week'])
  })

  it('makes one date fact of "the 3rd of October", not a second of "October"', () => {
    const { facts } = summarizeStory([item('m1', 'agent', 'We will ship it on the 3rd of October.')], context)
    expect(facts.filter((f) => f.kind === 'date').map((f) => f.value)).toEqual(['3rd of October'])
  })
})
