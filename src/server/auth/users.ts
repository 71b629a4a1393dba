import { newId } from '../../shared/ids'
import { z } from 'zod'
import { Role, type User } from '../../shared/domain'
import { BadRequestError, parseOrThrow } from '../errors'
import type { StoreReader } from '../store/store'
import type { Commit } from '../sync/commit'
import { hashPassword, verifyPassword } from './passwords'
import { generateToken, hashToken } from './tokens'

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
export function createToken(commit: Commit, userId: string, label?: string): string {
  const token = generateToken()
  commit((w) => {
    if (!w.getUser(userId)) throw new BadRequestError(`unknown user ${userId}`)
    w.insertToken(hashToken(token), userId, label ?? null)
  })
  return token
}

export function authenticate(store: StoreReader, token: string | null | undefined): User | null {
  if (!token) return null
  return store.userByTokenHash(hashToken(token))
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
