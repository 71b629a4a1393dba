import { describe, expect, it } from 'vitest'
import { keepListed, NO_SELECTION, toggleRow } from './selection'

const order = ['a', 'b', 'c', 'd', 'e']
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort()

describe('inbox list selection', () => {
  it('toggles one row per click and selects a range with shift from the last clicked row', () => {
    let s = toggleRow(NO_SELECTION, order, 'b', false)
    expect(ids(s)).toEqual(['b'])
    s = toggleRow(s, order, 'd', true)
    expect(ids(s)).toEqual(['b', 'c', 'd'])
    // Upwards works the same, and the range takes the clicked row's new state.
    s = toggleRow(s, order, 'a', true)
    expect(ids(s)).toEqual(['a', 'b', 'c', 'd'])
    s = toggleRow(s, order, 'c', true)
    expect(ids(s)).toEqual(['d'])
    s = toggleRow(s, order, 'd', false)
    expect(ids(s)).toEqual([])
  })

  it('treats a shift-click without an anchor still in the list as a plain click', () => {
    const s = toggleRow({ ids: new Set(['x']), anchorId: 'x' }, order, 'c', true)
    expect(ids(s)).toEqual(['c', 'x'])
    expect(keepListed(s, order)).toEqual({ ids: new Set(['c']), anchorId: 'c' })
  })
})
