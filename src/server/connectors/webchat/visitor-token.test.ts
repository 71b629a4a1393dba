import { describe, expect, it } from 'vitest'
import { newVisitorId, signVisitorToken, verifyVisitorToken } from './visitor-token'

const SECRET = 'a-test-secret-that-is-long-enough-to-sign'

describe('visitor tokens', () => {
  it('proves the visitor id it was signed for', () => {
    const id = newVisitorId()
    expect(verifyVisitorToken(SECRET, 'Website chat', signVisitorToken(SECRET, 'Website chat', id))).toBe(id)
  })

  it('refuses a token for another visitor id, inbox or secret, and malformed tokens', () => {
    const token = signVisitorToken(SECRET, 'Website chat', 'visitor-a')
    const signature = token.slice(token.lastIndexOf('.'))
    expect(verifyVisitorToken(SECRET, 'Website chat', `visitor-b${signature}`)).toBeNull()
    expect(verifyVisitorToken(SECRET, 'Shop chat', token)).toBeNull()
    expect(verifyVisitorToken(`${SECRET}!`, 'Website chat', token)).toBeNull()
    for (const bad of ['', 'visitor-a', '.abc', 'visitor-a.', `${token}x`]) {
      expect(verifyVisitorToken(SECRET, 'Website chat', bad)).toBeNull()
    }
  })
})
