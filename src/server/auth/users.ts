import { newId } from '../../shared/ids'
import { z } from 'zod'
import { Role, type User } from '../../shared/domain'
import type { ApiTokenInfo } from '../../shared/tokens'
import { BadRequestError, parseOrThrow } from '../errors'
import type { StoreReader } from '../store/store'
import type { Commit } from '../sync/commit'
import { hashPassword, verifyPassword } from './passwords'
import { generateToken, hashToken, tokenExpiresAt, type TokenLifetime } from './tokens'

export const NewUser = z.object({
  name: z.string().trim().min(1, 'a user needs a name').max(200),
  email: z.email().trim().toLowerCase(),
  role: Role,
  team: z.string().trim().min(1).max(100).nullable().optional(),
  inboxes: z.array(z.string().trim().min(1).max(200)).nullable().optional(),
})
export type NewUser = z.input<typeof NewUser>

/** Users are in the change log (visible to every client) so assignee names resolve offline. */
export function createUser(commit: Commit, input: NewUser, now = Date.now()): User {
  const data = parseOrThrow(NewUser, input, 'user')
  return commit((w) => {
    if (w.getUserByEmail(data.email)) throw new BadRequestError(`a user with email ${data.email} already exists`)
    const user: User = {
      id: newId(),
      name: data.name,
      email: data.email,
      role: data.role,
      team: data.team ?? null,
      inboxes: data.inboxes ?? null,
      createdAt: now,
    }
    w.put('user', user)
    return user
  })
}

/** Returns the plaintext token; it cannot be recovered later. */
export function createToken(commit: Commit, userId: string, label?: string, now = Date.now()): string {
  const token = generateToken()
  commit((w) => {
    if (!w.getUser(userId)) throw new BadRequestError(`unknown user ${userId}`)
    w.insertToken({ id: newId(), tokenHash: hashToken(token), userId, label: label ?? null, createdAt: now })
  })
  return token
}

/** Sets or replaces the user's password; only its salted scrypt hash is stored. */
export async function setPassword(commit: Commit, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password)
  commit((w) => {
    if (!w.getUser(userId)) throw new BadRequestError(`unknown user ${userId}`)
    w.setPasswordHash(userId, hash)
  })
}

/** The user whose email and password these are, or null for any mismatch (unknown email, no password, wrong password). */
export async function checkCredentials(store: StoreReader, email: string, password: string): Promise<User | null> {
  const user = store.getUserByEmail(email)
  const ok = await verifyPassword(password, user ? store.passwordHashOf(user.id) : null)
  if (!ok || !user) return null
  // The user may have been removed while the hash was being derived.
  return store.getUser(user.id)
}

/** Forgets a token; false when it was not (or no longer) valid. */
export function revokeToken(commit: Commit, token: string): boolean {
  return commit((w) => w.deleteToken(hashToken(token)))
}

/** Forgets the token with this id; its hash (to close its connections), or null when there is none. */
export function revokeTokenById(commit: Commit, id: string): string | null {
  return commit((w) => {
    const token = w.getApiToken(id)
    return token && w.deleteToken(token.tokenHash) ? token.tokenHash : null
  })
}

/** What an administrator sees of each token (never the token): one user's, or everyone's. */
export function listTokens(store: StoreReader, lifetime: TokenLifetime, userId: string | null): ApiTokenInfo[] {
  const emails = new Map(store.listUsers().map((u) => [u.id, u.email]))
  return store.listApiTokens(userId).map((t) => ({
    id: t.id,
    userId: t.userId,
    userEmail: emails.get(t.userId) ?? '(removed user)',
    label: t.label,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: tokenExpiresAt(t, lifetime),
  }))
}

export const UserAccess = z.object({
  role: Role.optional(),
  team: z.string().trim().min(1).max(100).nullable().optional(),
  /** null: every inbox. */
  inboxes: z.array(z.string().trim().min(1).max(200)).nullable().optional(),
})
export type UserAccess = z.input<typeof UserAccess>

/**
 * Changes what a user may see or do. Their connected clients are disconnected by the sync socket
 * when their inboxes change, and start their cache over under the new scope.
 */
export function updateUserAccess(commit: Commit, userId: string, input: UserAccess): User {
  const patch = parseOrThrow(UserAccess, input, 'user access')
  return commit((w) => {
    const user = w.getUser(userId)
    if (!user) throw new BadRequestError(`unknown user ${userId}`)
    const updated: User = {
      ...user,
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.team !== undefined ? { team: patch.team } : {}),
      ...(patch.inboxes !== undefined ? { inboxes: patch.inboxes } : {}),
    }
    w.put('user', updated)
    return updated
  })
}
