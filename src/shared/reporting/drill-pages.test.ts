import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { drillOrder } from './drill-pages'

describe('a drill-down list sorted by one column', () => {
  it('sorts texts without regard to case and puts rows without a value last, in either direction', () => {
    const names = ['bea', null, 'Anna', '', 'carl', 'anna']
    expect([...drillOrder(names, false)].map((i) => names[i])).toEqual(['Anna', 'anna', 'bea', 'carl', null, ''])
    expect([...drillOrder(names, true)].map((i) => names[i])).toEqual(['carl', 'bea', 'Anna', 'anna', null, ''])
  })

  it('orders numbers by value, keeping the figure’s own order among equals', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 5 }), { nil: null })), fc.boolean(), (values, descending) => {
        const order = [...drillOrder(values, descending)]
        const expected = values
          .map((_, i) => i)
          .sort((a, b) => {
            const x = values[a]!
            const y = values[b]!
            if (x === null || y === null) return (x === null ? 1 : 0) - (y === null ? 1 : 0) || a - b
            return (descending ? y - x : x - y) || a - b
          })
        expect(order).toEqual(expected)
        // The same numbers as a typed array, NaN for none, sort the same.
        expect([...drillOrder(Float64Array.from(values, (v) => v ?? NaN), descending)]).toEqual(expected)
        // And as ranks, -1 for none.
        expect([...drillOrder(Int32Array.from(values, (v) => v ?? -1), descending)]).toEqual(expected)
      }),
    )
  })
})
