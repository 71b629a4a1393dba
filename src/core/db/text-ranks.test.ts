import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { drillOrder } from '../../shared/reporting/drill-pages'
import { TextRanks } from './text-ranks'

describe('texts ranked for sorting', () => {
  it('rank as the texts sort, ignoring case, equal texts alike and none as -1, through any sequence of changes', () => {
    const text = fc.option(fc.constantFrom('', 'ann', 'Ann', 'bob', 'Bea', 'zed', 'émile', 'a b'), { nil: null })
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.nat(40), text), { maxLength: 30 }), { minLength: 1, maxLength: 6 }), (steps) => {
        const ranks = new TextRanks()
        const texts: (string | null)[] = []
        for (const step of steps) {
          for (const [n, t] of step) {
            ranks.set(n, t)
            texts[n] = t
          }
          const numbers = Int32Array.from(texts.keys())
          const byRank = ranks.ranks()
          const rankOfList = Int32Array.from(numbers, (n) => byRank[n] ?? -1)
          for (const descending of [false, true]) {
            expect([...drillOrder(rankOfList, descending)]).toEqual([...drillOrder(Array.from(numbers, (n) => texts[n] ?? null), descending)])
          }
        }
      }),
    )
  })

  it('follows a rename after a large first sort: one text merged into the order kept', () => {
    const ranks = new TextRanks()
    for (let n = 0; n < 100; n++) ranks.set(n, `name ${String(n).padStart(3, '0')}`)
    expect(ranks.ranks()[99]).toBe(99)
    ranks.set(99, 'Aaron')
    ranks.set(5, null)
    const now = ranks.ranks()
    expect(now[99]).toBe(0)
    expect(now[5]).toBe(-1)
    expect(now[0]).toBe(1)
    expect(now[6]).toBe(6)
  })
})
