import { describe, expect, it } from 'vitest'
import { defaultSubject, invalidCc, parseCc, parseDuration } from './composer-fields'

describe('composer fields', () => {
  it('defaults the subject to Re: the conversation subject, without stacking', () => {
    expect(defaultSubject('Order 5')).toBe('Re: Order 5')
    expect(defaultSubject('RE: Order 5')).toBe('RE: Order 5')
    expect(defaultSubject(null)).toBe('')
  })

  it('splits cc addresses and names the first one that is not an address', () => {
    const cc = parseCc(' a@x.test, b@y.test;c@z.test  ')
    expect(cc).toEqual(['a@x.test', 'b@y.test', 'c@z.test'])
    expect(invalidCc(cc)).toBeNull()
    expect(invalidCc(parseCc('a@x.test, bob'))).toBe('bob')
    expect(parseCc('')).toEqual([])
  })

  it('reads durations as mm:ss or minutes and refuses anything else', () => {
    expect(parseDuration('2:05')).toBe(125)
    expect(parseDuration('12')).toBe(720)
    expect(parseDuration('0:00')).toBe(0)
    expect(parseDuration('1:75')).toBeNull()
    expect(parseDuration('abc')).toBeNull()
    expect(parseDuration('')).toBeNull()
  })
})
