import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto'
import type { SignedIdentity } from '../../../shared/chat'
import { admit, RateWindow, rememberBounded } from './rate-limit'

/**
 * The two ways a chat visitor proves an email address: a signature from the embedding site's
 * backend (the site has signed the user in), or a one-time code mailed to the address.
 */

/** The hex HMAC-SHA256 the embedding site's backend computes for a signed-in user. */
export function signIdentity(secret: string, userId: string, email: string, phone?: string): string {
  return createHmac('sha256', secret).update(phone === undefined ? `${userId}\n${email}` : `${userId}\n${email}\n${phone}`).digest('hex')
}

export function verifySignedIdentity(secret: string, identity: SignedIdentity): boolean {
  const expected = Buffer.from(signIdentity(secret, identity.userId, identity.email, identity.phone), 'hex')
  const given = Buffer.from(identity.signature, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** A one-time code that proves nothing: wrong, expired or tried too often. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProofError'
  }
}

export interface EmailCodeLimits {
  /** How long a code stays valid. */
  ttlMs: number
  /** Wrong guesses allowed for one code; then a new code is needed. */
  attempts: number
  /** Codes one visitor may ask for per window. */
  perVisitor: number
  /** Codes one address may receive per window, whoever asks: nobody can flood a mailbox. */
  perAddress: number
  windowMs: number
  /** How long a proven email stays proven for the visitor (reloads, reconnects). */
  provenForMs: number
}

export const EMAIL_CODE_LIMITS: EmailCodeLimits = {
  ttlMs: 10 * 60_000,
  attempts: 5,
  perVisitor: 3,
  perAddress: 5,
  windowMs: 60 * 60_000,
  provenForMs: 24 * 60 * 60_000,
}

interface PendingCode {
  email: string
  hash: Buffer
  expiresAt: number
  attemptsLeft: number
}

const hashCode = (visitorId: string, code: string): Buffer => createHash('sha256').update(`${visitorId}\n${code}`).digest()

/**
 * One-time codes per visitor, in memory: a restart only means asking for a new code. Codes are
 * kept hashed, expire, allow a few guesses, and both the visitor and the address are rate
 * limited. Emails a visitor proved stay proven for them a while, so a reload asks nothing again.
 */
export class EmailCodes {
  private readonly pending = new Map<string, PendingCode>()
  private readonly proven = new Map<string, { email: string; until: number }>()
  private readonly sentToVisitor: RateWindow
  private readonly sentToAddress: RateWindow

  constructor(private readonly limits: EmailCodeLimits = EMAIL_CODE_LIMITS) {
    this.sentToVisitor = new RateWindow(limits.perVisitor, limits.windowMs)
    this.sentToAddress = new RateWindow(limits.perAddress, limits.windowMs)
  }

  /** A new code for the visitor to prove `email` (lower-cased); throws RateLimitedError when asked too often. */
  issue(visitorId: string, email: string, now: number): string {
    admit(
      [
        { window: this.sentToVisitor, key: visitorId, refusal: 'You asked for too many codes' },
        { window: this.sentToAddress, key: email, refusal: 'Too many codes were sent to this address' },
      ],
      now,
    )
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    rememberBounded(this.pending, visitorId, { email, hash: hashCode(visitorId, code), expiresAt: now + this.limits.ttlMs, attemptsLeft: this.limits.attempts })
    return code
  }

  /** The email the code proves; throws ProofError for a wrong, expired or exhausted code. */
  verify(visitorId: string, code: string, now: number): string {
    const entry = this.pending.get(visitorId)
    if (!entry || entry.expiresAt <= now) {
      this.pending.delete(visitorId)
      throw new ProofError('There is no valid code for this chat: ask for a new one.')
    }
    if (!timingSafeEqual(entry.hash, hashCode(visitorId, code))) {
      entry.attemptsLeft--
      if (entry.attemptsLeft <= 0) {
        this.pending.delete(visitorId)
        throw new ProofError('That code is not right, and it cannot be tried again: ask for a new one.')
      }
      throw new ProofError(`That code is not right (${entry.attemptsLeft} ${entry.attemptsLeft === 1 ? 'try' : 'tries'} left).`)
    }
    this.pending.delete(visitorId)
    this.prove(visitorId, entry.email, now)
    return entry.email
  }

  prove(visitorId: string, email: string, now: number): void {
    rememberBounded(this.proven, visitorId, { email, until: now + this.limits.provenForMs })
  }

  /** Whether the visitor has proven this email (lower-cased) lately. */
  isProven(visitorId: string, email: string, now: number): boolean {
    const entry = this.proven.get(visitorId)
    return entry !== undefined && entry.email === email && entry.until > now
  }
}
