import { describe, expect, it } from 'vitest'
import { DAY_MS, isDueForTouch, isTokenLive, tokenExpiresAt, tokenLifetime, TOUCH_INTERVAL_MS } from './tokens'

const lifetime = tokenLifetime({ tokenIdleDays: 30, tokenMaxDays: 90 })

describe('token lifetime', () => {
  it('ends 30 idle days after the last use, counting from creation when never used', () => {
    expect(tokenExpiresAt({ createdAt: 0, lastUsedAt: null }, lifetime)).toBe(30 * DAY_MS)
    expect(tokenExpiresAt({ createdAt: 0, lastUsedAt: 10 * DAY_MS }, lifetime)).toBe(40 * DAY_MS)
    expect(isTokenLive({ createdAt: 0, lastUsedAt: 10 * DAY_MS }, lifetime, 40 * DAY_MS - 1)).toBe(true)
    expect(isTokenLive({ createdAt: 0, lastUsedAt: 10 * DAY_MS }, lifetime, 40 * DAY_MS)).toBe(false)
  })

  it('ends 90 days after creation however recently used', () => {
    expect(tokenExpiresAt({ createdAt: 0, lastUsedAt: 89 * DAY_MS }, lifetime)).toBe(90 * DAY_MS)
    expect(isTokenLive({ createdAt: 0, lastUsedAt: 90 * DAY_MS - 1 }, lifetime, 90 * DAY_MS)).toBe(false)
  })

  it('is marked used at most once a minute', () => {
    expect(isDueForTouch(null, 0)).toBe(true)
    expect(isDueForTouch(1_000, 1_000 + TOUCH_INTERVAL_MS - 1)).toBe(false)
    expect(isDueForTouch(1_000, 1_000 + TOUCH_INTERVAL_MS)).toBe(true)
  })
})
