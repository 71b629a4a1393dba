import type { Role, User } from './domain'

/**
 * Each role may do everything the one before it may:
 * - agent: works the conversations of their inboxes;
 * - supervisor: also sees the dead letters of those inboxes;
 * - admin: also administers users, roles, teams, inbox access, API tokens and integrations.
 * Every role, admins included, sees conversations only in the inboxes it is given.
 */
const RANK: Record<Role, number> = { agent: 0, supervisor: 1, admin: 2 }

export const hasRole = (user: Pick<User, 'role'>, atLeast: Role): boolean => RANK[user.role] >= RANK[atLeast]

export const isAdmin = (user: Pick<User, 'role'>): boolean => hasRole(user, 'admin')

export const isActive = (user: Pick<User, 'deactivatedAt'>): boolean => !user.deactivatedAt
