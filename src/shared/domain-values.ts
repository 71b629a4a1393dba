/**
 * The value lists of the domain's enums, without zod: domain.ts builds its schemas from them,
 * and the renderer's first chunk (sidebar, search filters) reads them without loading zod.
 */

export const CHANNELS = ['chat', 'email', 'sms', 'whatsapp', 'voice'] as const

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const

/** Lowest first: sorting by priority puts urgent on top when read backwards. */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const

/** Agents work their inboxes; supervisors also watch them (dead letters); admins also administer. See roles.ts. */
export const ROLES = ['agent', 'supervisor', 'admin'] as const

/** The longest search text: longer pasted text is searched by its first this-many characters. */
export const SEARCH_TEXT_MAX = 500

/** Whether an agent is at work, as supervisors see it: online, away (connected but unused), offline. See agent-status.ts. */
export const AGENT_STATUSES = ['online', 'away', 'offline'] as const

/** A client with no keyboard or pointer use for this long reports its user away. */
export const AWAY_AFTER_MS = 5 * 60_000
