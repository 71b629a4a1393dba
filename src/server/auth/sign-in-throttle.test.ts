import { describe, expect, it } from 'vitest'
import { SIGN_IN_LIMITS, SignInThrottle, type SignInVerdict } from './sign-in-throttle'

const OWNER = 'pat@example.test'
const HOME = '203.0.113.5'
const STRANGER = '198.51.100.7'

function throttleAt(start = 1_000_000) {
  const clock = { now: start }
  const throttle = new SignInThrottle(SIGN_IN_LIMITS, () => clock.now)
  const advance = (ms: number) => (clock.now += ms)
  /** An attempt that is let through and turns out wrong. */
  const fail = (account: string, address: string) => expect(throttle.attempt(account, address)).toEqual({ allowed: true })
  return { throttle, advance, fail }
}

const waitOf = (verdict: SignInVerdict) => (verdict.allowed ? 0 : verdict.retryAfterMs)

describe('SignInThrottle', () => {
  it('lets three failures through, then makes each further attempt wait 1 s, 2 s, 4 s … up to 5 minutes', () => {
    const { throttle, advance, fail } = throttleAt()
    for (let i = 0; i < 3; i++) fail(OWNER, STRANGER)
    const waits: number[] = []
    for (let i = 0; i < 12; i++) {
      const verdict = throttle.attempt(OWNER, STRANGER)
      expect(verdict).toMatchObject({ allowed: false, scope: 'pair' })
      waits.push(waitOf(verdict))
      advance(waitOf(verdict))
      fail(OWNER, STRANGER)
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300].map((s) => s * 1000))
  })

  it('does not lengthen the wait for attempts made during it, and lets the attempt through once it is over', () => {
    const { throttle, advance, fail } = throttleAt()
    for (let i = 0; i < 4; i++) {
      advance(10_000)
      fail(OWNER, STRANGER)
    }
    for (let i = 0; i < 5; i++) expect(throttle.attempt(OWNER, STRANGER)).toMatchObject({ allowed: false, retryAfterMs: 2_000 })
    advance(1_999)
    expect(throttle.attempt(OWNER, STRANGER)).toMatchObject({ allowed: false, retryAfterMs: 1 })
    advance(1)
    expect(throttle.attempt(OWNER, STRANGER)).toEqual({ allowed: true })
  })

  it('counts an attempt before its password is checked, so attempts sent together cannot all pass', () => {
    const { throttle } = throttleAt()
    const verdicts = Array.from({ length: 10 }, () => throttle.attempt(OWNER, STRANGER))
    expect(verdicts.filter((v) => v.allowed)).toHaveLength(3)
  })

  it('starts a pair afresh after a success', () => {
    const { throttle, fail } = throttleAt()
    for (let i = 0; i < 3; i++) fail(OWNER, HOME)
    throttle.succeeded(OWNER, HOME)
    for (let i = 0; i < 3; i++) fail(OWNER, HOME)
    expect(throttle.attempt(OWNER, HOME)).toMatchObject({ allowed: false, retryAfterMs: 1_000 })
  })

  it("never makes the owner wait for a stranger's guesses from another address", () => {
    const { throttle, advance, fail } = throttleAt()
    for (let i = 0; i < 30; i++) {
      const verdict = throttle.attempt(OWNER, STRANGER)
      if (verdict.allowed) continue
      advance(verdict.retryAfterMs)
    }
    // A first attempt from an address the account never signed in from, and from the usual one.
    expect(throttle.attempt(OWNER, HOME)).toEqual({ allowed: true })
    throttle.succeeded(OWNER, HOME)
    fail(OWNER, HOME)
    expect(throttle.attempt(OWNER, HOME)).toEqual({ allowed: true })
  })

  it('slows guesses at one account from many addresses once it has had ten failures, except from where it signed in before', () => {
    const { throttle, advance, fail } = throttleAt()
    fail(OWNER, HOME)
    throttle.succeeded(OWNER, HOME)
    for (let i = 1; i <= 11; i++) fail(OWNER, `198.51.100.${i}`)
    // Each address had one guess and waits as long as the account's count says: no shared turn to take.
    expect(throttle.attempt(OWNER, '198.51.100.1')).toMatchObject({ allowed: false, scope: 'account', retryAfterMs: 1_000 })
    fail(OWNER, '198.51.100.12')
    expect(waitOf(throttle.attempt(OWNER, '198.51.100.12'))).toBe(2_000)
    // The owner's typo at home is only their own.
    fail(OWNER, HOME)
    expect(throttle.attempt(OWNER, HOME)).toEqual({ allowed: true })
    // However many guesses come from elsewhere, an address waits at most the ceiling after its own last failure.
    for (let i = 13; i <= 60; i++) fail(OWNER, `198.51.100.${i}`)
    expect(waitOf(throttle.attempt(OWNER, '198.51.100.12'))).toBe(SIGN_IN_LIMITS.maxDelayMs)
    advance(SIGN_IN_LIMITS.maxDelayMs)
    expect(throttle.attempt(OWNER, '198.51.100.12')).toEqual({ allowed: true })
  })

  it('slows one address guessing at many accounts after twenty failures, but not an account that signed in from there', () => {
    const { throttle, fail } = throttleAt()
    fail(OWNER, STRANGER)
    throttle.succeeded(OWNER, STRANGER)
    for (let i = 1; i <= 21; i++) fail(`person${i}@example.test`, STRANGER)
    expect(throttle.attempt('someone.else@example.test', STRANGER)).toMatchObject({ allowed: false, scope: 'address', retryAfterMs: 1_000 })
    expect(throttle.attempt(OWNER, STRANGER)).toEqual({ allowed: true })
  })

  it('forgets failures an hour after the last one', () => {
    const { throttle, advance, fail } = throttleAt()
    for (let i = 0; i < 3; i++) fail(OWNER, STRANGER)
    advance(SIGN_IN_LIMITS.forgetAfterMs)
    for (let i = 0; i < 3; i++) fail(OWNER, STRANGER)
    expect(throttle.attempt(OWNER, STRANGER)).toMatchObject({ allowed: false, retryAfterMs: 1_000 })
  })

  it('keeps at most maxEntries of each kind, forgetting the oldest first', () => {
    const clock = { now: 0 }
    const throttle = new SignInThrottle({ ...SIGN_IN_LIMITS, maxEntries: 2 }, () => clock.now)
    for (let i = 0; i < 3; i++) throttle.attempt(OWNER, STRANGER)
    throttle.attempt('a@example.test', '192.0.2.1')
    expect(throttle.attempt(OWNER, STRANGER)).toMatchObject({ allowed: false })
    throttle.attempt('b@example.test', '192.0.2.2')
    expect(throttle.attempt(OWNER, STRANGER)).toEqual({ allowed: true })
  })
})
