import { beforeAll, describe, expect, it } from 'vitest'
import { MMR_LAMBDA, mmrOrder, type RankDoc } from './rank'
import { prepareSummarizer } from './nlp'

beforeAll(prepareSummarizer)

const doc = (text: string, boost = 0): RankDoc => ({ text, boost })

// Two sentences telling the same thing (the customer's main topic, so the most relevant), and two that add something.
const docs = [
  doc('My order 4471 has not arrived and the tracking page shows no update.'),
  doc('The order 4471 still has not arrived and tracking shows no update at all.'),
  doc('I was also charged twice on my credit card for this order.'),
  doc('Please send the replacement to my office address instead.'),
]
const REPEATS = [0, 1]

/** Where the second of the two repeating sentences lands. */
const repeatAt = (order: number[]): number => Math.max(...REPEATS.map((i) => order.indexOf(i)))

describe('mmrOrder', () => {
  it('orders by relevance alone at λ = 1: the two repeats come first', () => {
    const order = mmrOrder(docs, 1)
    expect(REPEATS).toContain(order[0])
    expect(repeatAt(order)).toBe(1)
  })

  it('at the default λ, puts a sentence that adds something before one that repeats what is picked', () => {
    const order = mmrOrder(docs)
    expect(REPEATS).toContain(order[0])
    expect(order[1]).not.toBeUndefined()
    expect(REPEATS).not.toContain(order[1])
    expect(repeatAt(order)).toBeGreaterThan(1)
  })

  it('pushes the repeat further down as λ leans towards diversity', () => {
    const positions = [1, MMR_LAMBDA, 0.5].map((lambda) => repeatAt(mmrOrder(docs, lambda)))
    expect(positions).toEqual([1, 2, 3])
  })

  it('puts a sentence a rule boosts first, whatever its words', () => {
    const boosted = docs.map((d, i) => (i === 3 ? { ...d, boost: 1 } : d))
    expect(mmrOrder(boosted)[0]).toBe(3)
  })

  it('returns every index once, ties to the earlier one', () => {
    expect(mmrOrder([doc('Same words here.'), doc('Same words here.'), doc('Same words here.')])).toEqual([0, 1, 2])
    expect(mmrOrder([])).toEqual([])
    expect([...mmrOrder(docs)].sort()).toEqual([0, 1, 2, 3])
  })
})
