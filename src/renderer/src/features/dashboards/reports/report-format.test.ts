import { describe, expect, it } from 'vitest'
import { humanDuration, plural } from './report-format'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

describe('humanDuration', () => {
  it('reads seconds, minutes, hours and days with two units at most', () => {
    expect(humanDuration(0)).toBe('0 s')
    expect(humanDuration(45_000)).toBe('45 s')
    expect(humanDuration(10 * MINUTE)).toBe('10 min')
    expect(humanDuration(72 * MINUTE)).toBe('1 h 12 min')
    expect(humanDuration(2 * HOUR)).toBe('2 h')
    expect(humanDuration(51 * HOUR)).toBe('2 d 3 h')
    expect(humanDuration(48 * HOUR)).toBe('2 d')
  })

  it('rounds the smaller unit to the nearest, carrying into the larger', () => {
    expect(humanDuration(71 * MINUTE + 55_000)).toBe('1 h 12 min')
    expect(humanDuration(59_700)).toBe('1 min')
    expect(humanDuration(59 * MINUTE + 45_000)).toBe('1 h')
    expect(humanDuration(23 * HOUR + 50 * MINUTE)).toBe('1 d')
    expect(humanDuration(HOUR + 59 * MINUTE + 40_000)).toBe('2 h')
  })
})

describe('plural', () => {
  it('names one and many', () => {
    expect(plural(1, 'answer')).toBe('1 answer')
    expect(plural(3, 'answer')).toBe('3 answers')
    expect(plural(0, 'reply', 'replies')).toBe('0 replies')
  })
})
