import { describe, expect, it } from 'vitest'
import { clipLongText, LONG_TEXT_CHARS, splitQuoted } from './quoted-text'

describe('splitQuoted', () => {
  it('folds a Gmail-style attribution and the quote under it', () => {
    const text = 'Yes, Tuesday works.\n\nOn Mon, 2 Mar 2026 at 10:02, Support <help@shop.test> wrote:\n> Would Tuesday suit you?\n> Best, Dana'
    expect(splitQuoted(text)).toEqual({
      body: 'Yes, Tuesday works.',
      folded: 'On Mon, 2 Mar 2026 at 10:02, Support <help@shop.test> wrote:\n> Would Tuesday suit you?\n> Best, Dana',
    })
  })

  it('folds an attribution wrapped over two lines', () => {
    const text = 'Thanks!\nOn Mon, 2 Mar 2026 at 10:02, Dana from Support <help@shop.test>\nwrote:\n> Hi'
    expect(splitQuoted(text).body).toBe('Thanks!')
    expect(splitQuoted(text).folded).toMatch(/^On Mon/)
  })

  it('folds the signature after "-- " and anything quoted below it', () => {
    const text = 'See the photo attached.\n-- \nAlice Martin\nMartin & Co\n\n> older text'
    expect(splitQuoted(text)).toEqual({ body: 'See the photo attached.', folded: '-- \nAlice Martin\nMartin & Co\n\n> older text' })
    expect(splitQuoted('Ok\n--\nSent from my phone').folded).toBe('--\nSent from my phone')
  })

  it('folds trailing "> " lines but keeps answers written between quotes', () => {
    expect(splitQuoted('Sure.\n\n> Can you call me?\n>\n> Bob')).toEqual({ body: 'Sure.', folded: '> Can you call me?\n>\n> Bob' })
    const interleaved = '> What size?\nLarge.\n> Which colour?\nBlue.'
    expect(splitQuoted(interleaved)).toEqual({ body: interleaved, folded: null })
  })

  it('folds an Outlook original message block', () => {
    const text = 'Please see below.\r\n\r\n-----Original Message-----\r\nFrom: Support\r\nSent: Monday'
    expect(splitQuoted(text)).toEqual({ body: 'Please see below.', folded: '-----Original Message-----\nFrom: Support\nSent: Monday' })
  })

  it('leaves plain text, and text that is nothing but a quote, whole', () => {
    expect(splitQuoted('Where is my order? It was due on 3 March.')).toEqual({ body: 'Where is my order? It was due on 3 March.', folded: null })
    expect(splitQuoted('> only a quote')).toEqual({ body: '> only a quote', folded: null })
    // A date and "wrote" in the middle of a sentence is not an attribution.
    expect(splitQuoted('On Monday 3 March I wrote: please cancel.').folded).toBeNull()
    expect(splitQuoted('Price -- final offer').folded).toBeNull()
  })
})

describe('clipLongText', () => {
  it('shows a short message whole', () => {
    expect(clipLongText('Where is my order?')).toBeNull()
    expect(clipLongText('x'.repeat(LONG_TEXT_CHARS))).toBeNull()
  })

  it('cuts a long one at a word break before the limit and counts what it hides', () => {
    const text = 'lorem ipsum '.repeat(2_000)
    const clip = clipLongText(text)
    expect(clip).not.toBeNull()
    expect(clip!.start.length).toBeLessThanOrEqual(LONG_TEXT_CHARS)
    expect(clip!.start.endsWith('ipsum') || clip!.start.endsWith('lorem')).toBe(true)
    expect(clip!.start.length + clip!.hiddenChars).toBe(text.length)
  })

  it('cuts a text without spaces at the limit', () => {
    expect(clipLongText('y'.repeat(20_000))).toEqual({ start: 'y'.repeat(LONG_TEXT_CHARS), hiddenChars: 20_000 - LONG_TEXT_CHARS })
  })
})
