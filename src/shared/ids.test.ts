import { validate, version } from 'uuid'
import { describe, expect, it } from 'vitest'
import { newId } from './ids'

describe('newId', () => {
  it('makes valid, distinct UUIDv7s that sort in the order they were made, across many draws of random bytes', () => {
    // 2,000 ids span several 256-id draws of random bytes and, most likely, several milliseconds.
    const ids = Array.from({ length: 2_000 }, () => newId())
    expect(ids.every((id) => validate(id) && version(id) === 7)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
  })

  it('begins with the time it was made', () => {
    const before = Date.now()
    const id = newId()
    const msecs = parseInt(id.replace(/-/g, '').slice(0, 12), 16)
    // The counter may borrow a millisecond ahead when more ids than it holds are made in one.
    expect(msecs).toBeGreaterThanOrEqual(before)
    expect(msecs).toBeLessThanOrEqual(Date.now() + 1)
  })
})
