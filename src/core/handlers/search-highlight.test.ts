import { describe, expect, it } from 'vitest'
import type { HighlightedText } from '../../shared/ipc'
import { highlightWords, searchWords, snippetOf } from './search-highlight'

const text = (parts: HighlightedText) => parts.map((p) => p.text).join('')
const matched = (parts: HighlightedText) => parts.filter((p) => p.match).map((p) => p.text)

describe('highlights of a search hit', () => {
  it('marks every word a searched word begins, whole, as the index matched it', () => {
    const parts = highlightWords('Damaged lamps: the lamp arrived damaged.', searchWords('lamp DAM'))
    expect(matched(parts)).toEqual(['Damaged', 'lamps', 'lamp', 'damaged'])
    expect(text(parts)).toBe('Damaged lamps: the lamp arrived damaged.')
    expect(parts[1]).toEqual({ text: ' ', match: false })
  })

  it('marks a searched word of one or two letters only where it is the whole word, as the index matched it', () => {
    expect(matched(highlightWords('On one order, to Toronto: on time', searchWords('on to')))).toEqual(['On', 'to', 'on'])
  })

  it('folds accents and case both ways, and leaves words that only contain a searched word', () => {
    expect(matched(highlightWords('Jöns Lindqvíst wrote to LINDQVIST', searchWords('lindqvist jons')))).toEqual(['Jöns', 'Lindqvíst', 'LINDQVIST'])
    expect(matched(highlightWords('order #4411 and reorder', searchWords('order 441')))).toEqual(['order', '4411'])
  })

  it('shows a short body whole, without ellipses', () => {
    expect(snippetOf('The lamp shade arrived cracked.', searchWords('cracked'))).toEqual([
      { text: 'The lamp shade arrived ', match: false },
      { text: 'cracked', match: true },
      { text: '.', match: false },
    ])
  })

  it('cuts a long body to the words around the matches, centred, with an ellipsis where it goes on', () => {
    const words = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `w${from + i}`).join(' ')
    const parts = snippetOf(`${words(0, 50)} refund ${words(51, 100)}.`, searchWords('refund'), 6)
    expect(text(parts)).toBe('…w48 w49 refund w51 w52 w53…')
    expect(matched(parts)).toEqual(['refund'])
    // At either end, the window stops at the text's edge and keeps what is before or after it.
    expect(text(snippetOf(`¿refund ${words(1, 100)}.`, ['refund'], 4))).toBe('¿refund w1 w2 w3…')
    expect(text(snippetOf(`${words(0, 99)} refund.`, ['refund'], 4))).toBe('…w96 w97 w98 refund.')
  })

  it('prefers the window holding the most different searched words over one repeating a word', () => {
    const body = 'parcel parcel parcel parcel x x x x x x x x x x parcel late x x x x x x x x x x'
    expect(text(snippetOf(body, searchWords('parcel late'), 4))).toBe('…x parcel late x…')
  })

  it('starts at the beginning when the body holds no match (the hit was in the title)', () => {
    const body = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')
    expect(snippetOf(body, searchWords('missing'), 3)).toEqual([{ text: 'w0 w1 w2…', match: false }])
    expect(snippetOf('', searchWords('missing'))).toEqual([])
  })
})
