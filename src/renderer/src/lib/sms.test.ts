import { describe, expect, it } from 'vitest'
import { smsSegments } from './sms'

describe('SMS segment counter', () => {
  it('fits 160 GSM-7 characters in one part and splits at 153 after that', () => {
    expect(smsSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, remaining: 0 })
    expect(smsSegments('a'.repeat(161))).toMatchObject({ segments: 2, remaining: 306 - 161 })
    expect(smsSegments('a'.repeat(307))).toMatchObject({ segments: 3 })
  })

  it('counts extension characters twice', () => {
    expect(smsSegments('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 })
    expect(smsSegments('€'.repeat(81))).toMatchObject({ segments: 2 })
  })

  it('switches the whole text to UCS-2 for one character outside GSM-7', () => {
    expect(smsSegments('Thanks 🙂')).toMatchObject({ encoding: 'UCS-2', units: 9, segments: 1, remaining: 61 })
    expect(smsSegments('ł'.repeat(71))).toMatchObject({ encoding: 'UCS-2', segments: 2 })
  })
})
