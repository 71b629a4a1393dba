import { NewUser, UserAccess } from '../../shared/admin'
import type { User } from '../../shared/domain'
import { newId } from '../../shared/ids'
import { isActive, isAdmin } from '../../shared/roles'
import type { ApiTokenInfo } from '../../shared/tokens'
import { BadRequestError, ConflictError, parseOrThrow } from '../errors'
import type { StoreReader, StoreWriter, StoredApiToken } from '../store/store'
import type { Commit } from '../sync/commit'
import { hashPassword, verifyPassword } from './passwords'
import { recordAudit, type AuditBy } from '../audit/record'
import { generateToken, hashToken, tokenExpiresAt, type TokenLifetime } from './tokens'

export { NewUser, UserAccess }

/** Users are in the change log (visible to every client) so assignee names resolve offline. */
export async function createUser(commit: Commit, input: NewUser, now = Date.now(), by?: AuditBy): Promise<User> {
  const data = parseOrThrow(NewUser, input, 'user')
  return commit(async (w) => {
    if (await w.getUserByEmail(data.email)) throw new BadRequestError(`a user with email ${data.email} already exists`)
    const user: User = {
      id: newId(),
      name: data.name,
      email: data.email,
      role: data.role,
      team: data.team ?? null,
      inboxes: data.inboxes ?? null,
      createdAt: now,
      deactivatedAt: null,
    }
    await w.put('user', user)
    if (by) await recordAudit(w, { ...by, action: 'user.role_changed', target: { type: 'user', id: user.id }, details: { toRole: user.role } }, now)
    return user
  })
}

/** Returns the plaintext token; it cannot be recovered later. */
export async function createToken(commit: Commit, userId: string, label?: string, now = Date.now(), by?: AuditBy): Promise<string> {
  const token = generateToken()
  await commit(async (w) => {
    const user = await w.getUser(userId)
    if (!user) throw new BadRequestError(`unknown user ${userId}`)
    if (!isActive(user)) throw new ConflictError(`${user.email} is deactivated: reactivate them before giving them a token`)
    const id = newId()
    await w.insertToken({ id, tokenHash: hashToken(token), userId, label: label ?? null, createdAt: now })
    if (by) await recordAudit(w, { ...by, action: 'token.created', target: { type: 'token', id }, details: { userId } }, now)
  })
  return token
}

/** Sets or replaces the user's password; only its salted scrypt hash is stored. */
export async function setPassword(commit: Commit, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password)
  await commit(async (w) => {
    if (!(await w.getUser(userId))) throw new BadRequestError(`unknown user ${userId}`)
    await w.setPasswordHash(userId, hash)
  })
}

/** The user whose email and password these are, or null for any mismatch (unknown email, no password, wrong password). */
export async function checkCredentials(store: StoreReader, email: string, password: string): Promise<User | null> {
  const user = await store.getUserByEmail(email)
  const ok = await verifyPassword(password, user ? await store.passwordHashOf(user.id) : null)
  if (!ok || !user) return null
  // The user may have been removed or deactivated while the hash was being derived.
  return store.getUser(user.id)
}

/** Forgets a token; false when it was not (or no longer) valid. */
export function revokeToken(commit: Commit, token: string, by?: AuditBy): Promise<boolean> {
  return commit(async (w) => {
    const stored = await w.apiTokenByHash(hashToken(token))
    if (!stored || !(await w.deleteToken(stored.tokenHash))) return false
    if (by) await auditTokenRevoked(w, by, stored)
    return true
  })
}

/** Forgets the token with this id; its hash (to close its connections), or null when there is none. */
export function revokeTokenById(commit: Commit, id: string, by?: AuditBy): Promise<string | null> {
  return commit(async (w) => {
    const token = await w.getApiToken(id)
    if (!token || !(await w.deleteToken(token.tokenHash))) return null
    if (by) await auditTokenRevoked(w, by, token)
    return token.tokenHash
  })
}

function auditTokenRevoked(w: StoreWriter, by: AuditBy, token: Pick<StoredApiToken, 'id' | 'userId'>): Promise<unknown> {
  return recordAudit(w, { ...by, action: 'token.revoked', target: { type: 'token', id: token.id }, details: { userId: token.userId } })
}

/** What an administrator sees of each token (never the token): one user's, or everyone's. */
export async function listTokens(store: StoreReader, lifetime: TokenLifetime, userId: string | null): Promise<ApiTokenInfo[]> {
  const emails = new Map((await store.listUsers()).map((u) => [u.id, u.email]))
  return (await store.listApiTokens(userId)).map((t) => ({
    id: t.id,
    userId: t.userId,
    userEmail: emails.get(t.userId) ?? '(removed user)',
    label: t.label,
    createdAt: t.createdAt,
    lastUsedAt: t.lastUsedAt,
    expiresAt: tokenExpiresAt(t, lifetime),
  }))
}

/** Refuses a change that would leave no active admin to administer the server. */
async function keepAnAdmin(w: StoreReader, before: User, after: User): Promise<void> {
  const wasAdmin = isAdmin(before) && isActive(before)
  if (!wasAdmin || (isAdmin(after) && isActive(after))) return
  const others = (await w.listUsers()).filter((u) => u.id !== before.id && isAdmin(u) && isActive(u))
  if (others.length === 0) {
    throw new ConflictError(`${before.name} is the last active admin: make another user an admin before demoting or deactivating them`)
  }
}

async function changeUser(w: StoreWriter, userId: string, change: (user: User) => User): Promise<User> {
  const user = await w.getUser(userId)
  if (!user) throw new BadRequestError(`unknown user ${userId}`)
  const updated = change(user)
  await keepAnAdmin(w, user, updated)
  await w.put('user', updated)
  return updated
}

/**
 * Changes a user's name, role, team or inboxes. Their connected clients are disconnected by the
 * sync socket when their inboxes change, and start their cache over under the new scope.
 */
export function updateUserAccess(commit: Commit, userId: string, input: UserAccess, by?: AuditBy): Promise<User> {
  const patch = parseOrThrow(UserAccess, input, 'user change')
  return commit(async (w) => {
    const before = await w.getUser(userId)
    const updated = await changeUser(w, userId, (user) => ({
      ...user,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.team !== undefined ? { team: patch.team } : {}),
      ...(patch.inboxes !== undefined ? { inboxes: patch.inboxes } : {}),
    }))
    if (by && before && before.role !== updated.role) {
      await recordAudit(w, { ...by, action: 'user.role_changed', target: { type: 'user', id: userId }, details: { fromRole: before.role, toRole: updated.role } })
    }
    return updated
  })
}

/**
 * Deactivates a user: every token of theirs is revoked and they cannot sign in or be given a
 * token until reactivated. The user stays in the change log, marked, so clients still name them
 * on past work. Returns the user and the hashes of the revoked tokens (to close their connections).
 */
export function deactivateUser(
  commit: Commit,
  userId: string,
  now = Date.now(),
  by?: AuditBy,
): Promise<{ user: User; revokedTokenHashes: string[] }> {
  return commit(async (w) => {
    const user = await changeUser(w, userId, (u) => ({ ...u, deactivatedAt: u.deactivatedAt ?? now }))
    const tokens = await w.listApiTokens(userId)
    for (const token of tokens) {
      await w.deleteToken(token.tokenHash)
      if (by) await auditTokenRevoked(w, by, token)
    }
    return { user, revokedTokenHashes: tokens.map((t) => t.tokenHash) }
  })
}

/** Lets a deactivated user sign in again (with the password they had); tokens revoked stay revoked. */
export function reactivateUser(commit: Commit, userId: string): Promise<User> {
  return commit((w) => changeUser(w, userId, (u) => ({ ...u, deactivatedAt: null })))
}
