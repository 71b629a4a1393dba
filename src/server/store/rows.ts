import { ENTITY_SCHEMAS, type Conversation, type EntityName, type EntityTypes, type Identity, type SavedView, type Summary } from '../../shared/domain'
import { columnName } from '../../shared/column-names'
import { slaNextDueAt } from '../../shared/reporting/sla-due'
import type { SummaryFeedback, SummaryUsage } from '../../shared/summaries'
import type { ConversationThread, StoredApiToken } from './store'

/**
 * How each entity maps onto its table, in every engine: one column per field (snake_case), with
 * arrays and records stored as JSON. Derived from the shared zod schemas so a field added there
 * fails loudly here (the column is missing) instead of being dropped silently.
 */
export const TABLES: Record<EntityName, string> = {
  user: 'users',
  customer: 'customers',
  identity: 'identities',
  conversation: 'conversations',
  message: 'messages',
  note: 'notes',
  call: 'calls',
  event: 'events',
  savedView: 'saved_views',
  summary: 'summaries',
  reportingEvent: 'reporting_events',
}

/**
 * The outbound messages waiting to be sent, oldest first, as both engines read them: the
 * condition and order of their partial index (`messages_queued_outbound`), which a query must
 * state exactly for the index to serve it.
 */
export const QUEUED_OUTBOUND = `FROM messages WHERE delivery_status = 'queued' AND direction = 'outbound' ORDER BY sent_at, id`

/**
 * For a pull of the latest changes only (PullRequest.latest): true when the change `changes` is
 * followed in the log by a change of the same row with the same access columns, which every
 * reader who may see the one may see the other. `same` is the engine's null-safe equality
 * (SQLite `IS`, PostgreSQL `IS NOT DISTINCT FROM`). Changes are never removed from the log, only
 * rewritten in place (erasure), so the later change stays there for the reader to reach.
 */
export const supersededChange = (same: string): string =>
  `EXISTS (SELECT 1 FROM changes later WHERE later.entity_id = changes.entity_id AND later.seq > changes.seq
     AND later.entity = changes.entity AND later.inbox ${same} changes.inbox AND later.customer_id ${same} changes.customer_id
     AND later.audience ${same} changes.audience AND later.covers ${same} changes.covers)`

export const JSON_FIELDS: Record<EntityName, readonly string[]> = {
  user: ['inboxes'],
  customer: ['labels', 'attributes', 'consent', 'consentChangedAt'],
  identity: [],
  conversation: ['labels', 'sla'],
  message: ['attachments', 'template', 'cc'],
  note: ['mentions'],
  call: [],
  event: ['data'],
  savedView: ['filters'],
  summary: ['facts', 'inboxes'],
  // A boolean: JSON is the one column kind both engines read back as one.
  reportingEvent: ['afterHours'],
}

export interface ColumnSpec {
  field: string
  column: string
  json: boolean
  /** A column computed from the whole entity on every write, for a query no field serves; never read back. */
  derive?: (data: unknown) => unknown
}

const DERIVED: Partial<Record<EntityName, { column: string; derive: (data: unknown) => unknown }[]>> = {
  // The breach scan's key: when the conversation's first running SLA clock falls due.
  conversation: [{ column: 'sla_due', derive: (c) => slaNextDueAt((c as Conversation).sla) }],
}

export function columnsOf(entity: EntityName): ColumnSpec[] {
  const fields = Object.keys(ENTITY_SCHEMAS[entity].shape)
  const derived = (DERIVED[entity] ?? []).map(({ column, derive }) => ({ field: column, column, json: false, derive }))
  return [...fields.map((field) => ({ field, column: columnName(field), json: JSON_FIELDS[entity].includes(field) })), ...derived]
}

const COLUMNS = Object.fromEntries(
  (Object.keys(TABLES) as EntityName[]).map((e) => [e, columnsOf(e)]),
) as Record<EntityName, ColumnSpec[]>

export type Row = Record<string, unknown>

/** The row to write: JSON fields as JSON text, which SQLite stores as is and PostgreSQL reads as jsonb. */
export function toRow<E extends EntityName>(entity: E, data: EntityTypes[E]): Row {
  const row: Row = {}
  const source = data as unknown as Record<string, unknown>
  for (const c of COLUMNS[entity]) {
    const v = c.derive ? c.derive(data) : source[c.field]
    row[c.column] = c.json ? (v === null || v === undefined ? null : JSON.stringify(v)) : (v ?? null)
  }
  return row
}

/**
 * The entity a row holds. A JSON field arrives as text from SQLite and already parsed from
 * PostgreSQL (jsonb); every JSON field is an array, an object or a boolean, so only text is parsed.
 */
export function fromRow<E extends EntityName>(entity: E, row: Row): EntityTypes[E] {
  const out: Record<string, unknown> = {}
  for (const c of COLUMNS[entity]) {
    if (c.derive) continue
    const v = row[c.column]
    out[c.field] = c.json && typeof v === 'string' ? JSON.parse(v) : v
  }
  return out as unknown as EntityTypes[E]
}

/** An `api_tokens` row as both engines return it. */
export interface ApiTokenRow {
  id: string
  token_hash: string
  user_id: string
  label: string | null
  created_at: number
  last_used_at: number | null
}

export const apiTokenOf = (r: ApiTokenRow): StoredApiToken => ({
  id: r.id,
  tokenHash: r.token_hash,
  userId: r.user_id,
  label: r.label,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
})

/** A `conversation_threads` row as both engines return it. */
export interface ThreadRow {
  channel: ConversationThread['channel']
  thread_key: string
  conversation_id: string
  inbox: string
  last_at: number
}

export const threadOf = (r: ThreadRow): ConversationThread => ({
  channel: r.channel,
  threadKey: r.thread_key,
  conversationId: r.conversation_id,
  inbox: r.inbox,
  lastAt: Number(r.last_at),
})

/**
 * Who a row that belongs to people rather than to everyone of an inbox reaches: a user, every
 * member of a team, or every supervisor (and admin) — of its inbox, when it has one.
 */
export const audienceToken = {
  user: (id: string): string => `user:${id}`,
  team: (name: string): string => `team:${name}`,
  supervisors: 'role:supervisor',
}

/**
 * A saved view reaches its owner and the team it is shared with — and, on the change that
 * moves it away from a team, that team too, so its members' caches learn it is no longer theirs.
 */
export function savedViewAudience(view: SavedView, previousTeam: string | null): string[] {
  const teams = new Set([view.team, previousTeam].filter((t): t is string => t !== null))
  return [audienceToken.user(view.ownerId), ...[...teams].map(audienceToken.team)]
}

/** Reporting events reach the supervisors of their inbox, never its agents. */
export const REPORTING_AUDIENCE: readonly string[] = [audienceToken.supervisors]

/**
 * The customer whose row a change is, for changes that belong to no inbox: a customer's own rows
 * (customer, identity) and their story, which spans their conversations.
 */
export function customerOf(entity: EntityName, data: EntityTypes[EntityName]): string | null {
  if (entity === 'customer') return data.id
  if (entity === 'identity') return (data as Identity).customerId
  if (entity === 'summary') return (data as Summary).customerId
  return null
}

/** The inboxes a change reads from, every one of which its reader must see: a customer story's. */
export function coversOf(entity: EntityName, data: EntityTypes[EntityName]): string[] | null {
  if (entity !== 'summary') return null
  const summary = data as Summary
  return summary.conversationId === null ? [...summary.inboxes] : null
}

/** A `summary_usage` row as both engines return it (PostgreSQL's BIGINT as a number or a string). */
export interface UsageRow {
  requests: number | string
  prompt_tokens: number | string
  completion_tokens: number | string
  failures: number | string
  fallbacks: number | string
}

export const usageOf = (r: UsageRow | undefined): SummaryUsage => ({
  requests: Number(r?.requests ?? 0),
  promptTokens: Number(r?.prompt_tokens ?? 0),
  completionTokens: Number(r?.completion_tokens ?? 0),
  failures: Number(r?.failures ?? 0),
  fallbacks: Number(r?.fallbacks ?? 0),
})

/** A `summary_feedback` row as both engines return it. */
export interface FeedbackRow {
  summary_id: string
  user_id: string
  generated_at: number | string
  rating: SummaryFeedback['rating']
  provider: SummaryFeedback['provider']
  model: string | null
  summary_text: string
  created_at: number | string
}

export const feedbackOf = (r: FeedbackRow): SummaryFeedback => ({
  summaryId: r.summary_id,
  userId: r.user_id,
  generatedAt: Number(r.generated_at),
  rating: r.rating,
  provider: r.provider,
  model: r.model,
  summaryText: r.summary_text,
  createdAt: Number(r.created_at),
})
