import { describe, expect, it } from 'vitest'
import { EMAIL_CODE_LIMITS, EmailCodes, signIdentity, verifySignedIdentity } from './identity-proof'

const SECRET = 'identity-secret-0123456789abcdef0123'

describe('signed identity', () => {
  it('accepts the signature of the same id and email under the secret, and nothing else', () => {
    const signature = signIdentity(SECRET, 'u-1', 'ann@example.test')
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'ann@example.test', signature })).toBe(true)
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'ann@example.test', signature: signature.toUpperCase() })).toBe(true)
    expect(verifySignedIdentity(SECRET, { userId: 'u-2', email: 'ann@example.test', signature })).toBe(false)
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'bob@example.test', signature })).toBe(false)
    expect(verifySignedIdentity(`${SECRET}x`, { userId: 'u-1', email: 'ann@example.test', signature })).toBe(false)
  })

  it('covers the phone when the site vouches for one', () => {
    const signature = signIdentity(SECRET, 'u-1', 'ann@example.test', '+14155550100')
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'ann@example.test', phone: '+14155550100', signature })).toBe(true)
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'ann@example.test', phone: '+14155550199', signature })).toBe(false)
    expect(verifySignedIdentity(SECRET, { userId: 'u-1', email: 'ann@example.test', signature })).toBe(false)
  })
})

describe('EmailCodes', () => {
  it('proves the email with the right code, once', () => {
    const codes = new EmailCodes()
    const code = codes.issue('v1', 'ann@example.test', 0)
    expect(code).toMatch(/^\d{6}$/)
    expect(codes.isProven('v1', 'ann@example.test', 1)).toBe(false)
    expect(codes.verify('v1', code, 1)).toBe('ann@example.test')
    expect(codes.isProven('v1', 'ann@example.test', 2)).toBe(true)
    expect(codes.isProven('v2', 'ann@example.test', 2)).toBe(false)
    expect(() => codes.verify('v1', code, 3)).toThrow(/no valid code/)
    expect(codes.isProven('v1', 'ann@example.test', EMAIL_CODE_LIMITS.provenForMs + 2)).toBe(false)
  })

  it('refuses an expired code, and a code after too many wrong guesses', () => {
    const codes = new EmailCodes()
    const code = codes.issue('v1', 'ann@example.test', 0)
    expect(() => codes.verify('v1', code, EMAIL_CODE_LIMITS.ttlMs)).toThrow(/no valid code/)

    const next = codes.issue('v1', 'ann@example.test', 1)
    const wrong = next === '000000' ? '000001' : '000000'
    for (let left = EMAIL_CODE_LIMITS.attempts - 1; left > 0; left--) {
      expect(() => codes.verify('v1', wrong, 2)).toThrow(`(${left} ${left === 1 ? 'try' : 'tries'} left)`)
    }
    expect(() => codes.verify('v1', wrong, 2)).toThrow(/cannot be tried again/)
    expect(() => codes.verify('v1', next, 2)).toThrow(/no valid code/)
  })

  it('limits the codes per visitor and per address, so nobody floods a mailbox', () => {
    const codes = new EmailCodes()
    for (let i = 0; i < EMAIL_CODE_LIMITS.perVisitor; i++) codes.issue('v1', `a${i}@example.test`, i)
    expect(() => codes.issue('v1', 'b@example.test', 10)).toThrow(expect.objectContaining({ code: 'rate_limited' }))

    for (let i = 0; i < EMAIL_CODE_LIMITS.perAddress; i++) codes.issue(`w${i}`, 'victim@example.test', i)
    expect(() => codes.issue('w-next', 'victim@example.test', 10)).toThrow(/Too many codes were sent to this address/)
    // The refused address did not use up the new visitor's allowance.
    expect(() => codes.issue('w-next', 'other@example.test', 11)).not.toThrow()
    // A window later, both may ask again.
    expect(() => codes.issue('v1', 'b@example.test', EMAIL_CODE_LIMITS.windowMs + 10)).not.toThrow()
  })
})
