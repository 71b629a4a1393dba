import { createHash, randomBytes } from 'node:crypto'
import type { StoredApiToken } from '../store/store'

/** Plaintext tokens are shown once; only their SHA-256 is stored. Integration tokens say so in their prefix. */
export function generateToken(prefix: 'tl' | 'tli' = 'tl'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

/** Whether a token is an integration's by its prefix; a user's token never has it. */
export function isIntegrationToken(token: string): boolean {
  return token.startsWith('tli_')
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The token in an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m?.[1] ?? null
}

/** The socket.io room of every connection made with one token, so revoking it can close them all. */
export function tokenRoom(tokenHash: string): string {
  return `token:${tokenHash}`
}

export const DAY_MS = 24 * 60 * 60_000

/** How long a user's token is accepted: `idleMs` after its last use, and never past `maxMs` after it was made. */
export interface TokenLifetime {
  idleMs: number
  maxMs: number
}

export function tokenLifetime(config: { tokenIdleDays: number; tokenMaxDays: number }): TokenLifetime {
  return { idleMs: config.tokenIdleDays * DAY_MS, maxMs: config.tokenMaxDays * DAY_MS }
}

type TokenTimes = Pick<StoredApiToken, 'createdAt' | 'lastUsedAt'>

/** When the token stops being accepted unless it is used before then. */
export function tokenExpiresAt(token: TokenTimes, lifetime: TokenLifetime): number {
  return Math.min(token.createdAt + lifetime.maxMs, (token.lastUsedAt ?? token.createdAt) + lifetime.idleMs)
}

export const isTokenLive = (token: TokenTimes, lifetime: TokenLifetime, now: number): boolean =>
  now < tokenExpiresAt(token, lifetime)

/** `last_used_at` is written at most this often per token, so using a token to read stays a read. */
export const TOUCH_INTERVAL_MS = 60_000

export const isDueForTouch = (lastUsedAt: number | null, now: number): boolean =>
  lastUsedAt === null || now - lastUsedAt >= TOUCH_INTERVAL_MS
