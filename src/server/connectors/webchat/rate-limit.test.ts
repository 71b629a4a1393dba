import { describe, expect, it } from 'vitest'
import { admit, RateLimitedError, RateWindow, rememberBounded, waitInWords } from './rate-limit'

describe('RateWindow', () => {
  it('allows max events per key in any window, and says when the next one fits', () => {
    const window = new RateWindow(3, 1000)
    for (const at of [0, 100, 200]) {
      expect(window.waitMs('a', at)).toBe(0)
      window.record('a', at)
    }
    expect(window.waitMs('a', 300)).toBe(700)
    expect(window.waitMs('b', 300)).toBe(0)
    // Sliding, not fixed: the first event leaves at 1000, the second at 1100.
    expect(window.waitMs('a', 1000)).toBe(0)
    window.record('a', 1000)
    expect(window.waitMs('a', 1050)).toBe(50)
  })

  it('forgets the least recently active key beyond maxKeys', () => {
    const window = new RateWindow(2, 1000, 3)
    for (const key of ['a', 'b', 'c', 'd']) window.record(key, 0)
    // "a" was written least recently and is forgotten: it may act again.
    expect(window.waitMs('a', 1)).toBe(0)
    window.record('b', 1)
    expect(window.waitMs('b', 2)).toBe(998)
  })

  it('refuses a window that could never allow anything', () => {
    expect(() => new RateWindow(0, 1000)).toThrow(/at least 1 event/)
    expect(() => new RateWindow(1, 0)).toThrow(/longer than 0 ms/)
  })
})

describe('admit', () => {
  it('counts an event against every check or none, and names the limit that refused', () => {
    const perVisitor = new RateWindow(2, 10_000)
    const perInbox = new RateWindow(3, 60_000)
    const checks = (visitor: string) => [
      { window: perVisitor, key: visitor, refusal: 'You are sending messages too fast' },
      { window: perInbox, key: 'inbox', refusal: 'The team is receiving too many messages' },
    ]
    admit(checks('v1'), 0)
    admit(checks('v1'), 1)
    expect(() => admit(checks('v1'), 2)).toThrow('You are sending messages too fast; try again in 10 seconds.')
    // The visitor's refusal used up nothing of the inbox's allowance.
    admit(checks('v2'), 3)
    let refusal: unknown
    try {
      admit(checks('v3'), 4)
    } catch (err) {
      refusal = err
    }
    expect(refusal).toBeInstanceOf(RateLimitedError)
    expect(refusal).toMatchObject({ code: 'rate_limited', retryAfterMs: 59_996, retryAfterSeconds: 60 })
    expect((refusal as Error).message).toBe('The team is receiving too many messages; try again in 60 seconds.')
    expect(perVisitor.waitMs('v3', 5)).toBe(0)
  })
})

describe('waitInWords', () => {
  it('rounds up to whole seconds, and to minutes past a minute and a half', () => {
    expect(waitInWords(1)).toBe('1 second')
    expect(waitInWords(1001)).toBe('2 seconds')
    expect(waitInWords(89_000)).toBe('89 seconds')
    expect(waitInWords(10 * 60_000)).toBe('10 minutes')
  })
})

describe('rememberBounded', () => {
  it('forgets the least recently written key past the bound', () => {
    const map = new Map<string, number>()
    rememberBounded(map, 'a', 1, 2)
    rememberBounded(map, 'b', 2, 2)
    rememberBounded(map, 'a', 3, 2)
    rememberBounded(map, 'c', 4, 2)
    expect([...map]).toEqual([
      ['a', 3],
      ['c', 4],
    ])
  })
})
