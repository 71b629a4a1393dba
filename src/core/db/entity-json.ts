import { deflateRawSync, inflateRawSync } from 'node:zlib'
import type { z } from 'zod'
import { ENTITY_SCHEMAS, type EntityName, type EntityTypes } from '../../shared/domain'

/**
 * How an entity is kept in its table's `json` column: without the fields its own columns
 * already hold (the id, the conversation and customer it belongs to, its time, a
 * conversation's status, inbox and the rest its indexes need), and without the fields that
 * are null or an empty list where the schema requires them. A million messages would
 * otherwise store a million copies of three ids, a time and of `"html":null` and
 * `"attachments":[]`: half of each row. Reading puts them back (`entityFromRow`); rows
 * written before are read as they are.
 */

/** The JSON field and the column holding the same value, per entity. */
const MIRRORED: Record<string, [field: string, column: string][]> = {}
const BELONGS_TO_CONVERSATION: ReadonlySet<EntityName> = new Set(['message', 'note', 'call', 'event'])
const BELONGS_TO_CUSTOMER: ReadonlySet<EntityName> = new Set(['identity', 'conversation', 'message', 'note', 'call', 'event', 'summary'])
/**
 * The other fields a table keeps as columns of the same value, for its indexes. A summary's
 * kind is not among them: the timeline reads every table's rows with a `kind` of its own.
 */
const OTHER_MIRRORED: Partial<Record<EntityName, [field: string, column: string][]>> = {
  user: [['name', 'name']],
  customer: [
    ['name', 'name'],
    ['lastActivityAt', 'last_activity_at'],
  ],
  conversation: [
    ['status', 'status'],
    ['assigneeId', 'assignee_id'],
    ['lastMessageAt', 'last_message_at'],
    ['channel', 'channel'],
    ['inbox', 'inbox'],
    ['team', 'team'],
    ['subject', 'subject'],
  ],
  message: [['sentAt', 'at']],
  note: [['createdAt', 'at']],
  call: [['startedAt', 'at']],
  event: [['createdAt', 'at']],
  savedView: [['ownerId', 'owner_id']],
}

/** Fields left out when they equal another field: an item's last update is most often when it was sent. */
const SAME_AS: Partial<Record<EntityName, [field: string, other: string][]>> = {
  message: [['updatedAt', 'sentAt']],
  call: [['updatedAt', 'startedAt']],
}

/** The value a field left out stands for: null, or a new empty list. */
type Omitted = null | 'empty list'
const OMITTED: Record<string, [field: string, value: Omitted][]> = {}

for (const [entity, schema] of Object.entries(ENTITY_SCHEMAS) as [EntityName, z.ZodObject][]) {
  MIRRORED[entity] = [['id', 'id']]
  if (BELONGS_TO_CONVERSATION.has(entity)) MIRRORED[entity].push(['conversationId', 'conversation_id'])
  if (BELONGS_TO_CUSTOMER.has(entity)) MIRRORED[entity].push(['customerId', 'customer_id'])
  MIRRORED[entity].push(...(OTHER_MIRRORED[entity] ?? []))
  // Only where the schema requires the field: a missing optional one must stay missing.
  OMITTED[entity] = Object.entries(schema.shape).flatMap(([field, fieldSchema]): [string, Omitted][] => {
    const accepts = (value: unknown) => (fieldSchema as z.ZodType).safeParse(value).success
    if (accepts(undefined)) return []
    if (accepts(null)) return [[field, null]]
    if (Array.isArray((fieldSchema as z.ZodType).safeParse([]).data)) return [[field, 'empty list']]
    return []
  })
}

/** The columns holding a field of `data` as it is (all but the id): what a write of the row sets them to. */
export function mirroredColumns(entity: EntityName, data: object): Record<string, string | number | null> {
  const fields = data as Record<string, string | number | null>
  const columns: Record<string, string | number | null> = {}
  for (const [field, column] of MIRRORED[entity]!) if (column !== 'id') columns[column] = fields[field] ?? null
  return columns
}

/** The columns a read of `entity` selects (as `alias.column`), for `entityFromRow`. */
export function entityColumns(entity: EntityName, alias?: string): string {
  const prefix = alias ? `${alias}.` : ''
  return [...MIRRORED[entity]!.map(([, column]) => column), 'json'].map((c) => `${prefix}${c} AS ${c}`).join(', ')
}

/** Per entity: the fields left out always, those left out when null or an empty list, and those when equal to another (field → other). */
const LEFT_OUT = Object.fromEntries(
  Object.keys(ENTITY_SCHEMAS).map((entity) => [
    entity,
    {
      always: new Set(MIRRORED[entity]!.map(([field]) => field)),
      whenNull: new Set(OMITTED[entity]!.filter(([, value]) => value === null).map(([field]) => field)),
      whenEmpty: new Set(OMITTED[entity]!.filter(([, value]) => value !== null).map(([field]) => field)),
      whenSameAs: new Map(SAME_AS[entity as EntityName] ?? []),
    },
  ]),
)

/**
 * Entities whose row keeps its JSON deflated: a summary (its story and the facts behind it) is
 * about 1.9 KB of text, a third of that deflated, and no SQL reads inside it; a cache holds one
 * for every twenty messages or so. A message, a few hundred bytes that SQL reads inside, stays text.
 */
const DEFLATED: ReadonlySet<EntityName> = new Set(['summary'])

/** A row's `json` (or server copy) as stored: text, or deflated JSON for the entities above. */
export type PackedJson = string | Uint8Array

export function isDeflated(entity: EntityName): boolean {
  return DEFLATED.has(entity)
}

function packText(entity: EntityName, text: string): PackedJson {
  return DEFLATED.has(entity) ? deflateRawSync(text) : text
}

/** The JSON text of a stored value; a row written before its entity was deflated is text still. */
function jsonText(packed: PackedJson): string {
  return typeof packed === 'string' ? packed : inflateRawSync(packed).toString('utf8')
}

/** The row's `json` for an entity: its top-level fields only are left out, an attachment's own stay. */
export function packEntity(entity: EntityName, data: object): PackedJson {
  const { always, whenNull, whenEmpty, whenSameAs } = LEFT_OUT[entity]!
  const kept: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(data)) {
    if (always.has(field)) continue
    const other = whenSameAs.get(field)
    if (other !== undefined && value === (data as Record<string, unknown>)[other]) continue
    if (value === null ? whenNull.has(field) : Array.isArray(value) && value.length === 0 && whenEmpty.has(field)) continue
    kept[field] = value
  }
  return packText(entity, JSON.stringify(kept))
}

/** The whole entity, every field in its JSON, as a deflated entity keeps the server's copy (`wholeJsonSql` for the others). */
export function packWholeEntity(entity: EntityName, data: object): PackedJson {
  return packText(entity, JSON.stringify(data))
}

/** Puts back the fields left out for being null, an empty list or the same as another. */
function restoreLeftOut(entity: EntityName, data: Record<string, unknown>): void {
  for (const [field, value] of OMITTED[entity]!) if (!(field in data)) data[field] = value === null ? null : []
  for (const [field, other] of SAME_AS[entity] ?? []) if (!(field in data)) data[field] = data[other]
}

/** An entity from JSON that holds every field but the omitted empty ones (a server copy). */
export function entityFromJson<E extends EntityName>(entity: E, json: PackedJson): EntityTypes[E] {
  const data = JSON.parse(jsonText(json)) as Record<string, unknown>
  restoreLeftOut(entity, data)
  return data as EntityTypes[E]
}

/** The entity of a row selected with `entityColumns`. */
export function entityFromRow<E extends EntityName>(entity: E, row: { json: PackedJson }): EntityTypes[E] {
  const data = JSON.parse(jsonText(row.json)) as Record<string, unknown>
  const columns = row as Record<string, unknown>
  // Columns first: a field a column holds may be one left out when null.
  for (const [field, column] of MIRRORED[entity]!) if (!(field in data)) data[field] = columns[column]
  restoreLeftOut(entity, data)
  return data as EntityTypes[E]
}

/**
 * SQL for the whole entity of the row being updated, in a local change's UPDATE: the copy of the
 * server's version a local change keeps aside. It is stored whole, since the change may move
 * the row to another conversation or customer and its columns then hold the new ones.
 */
export function wholeJsonSql(entity: EntityName): string {
  if (DEFLATED.has(entity)) throw new Error(`a ${entity}'s JSON is deflated: SQL cannot read inside it (packWholeEntity)`)
  return `json_insert(json, ${MIRRORED[entity]!.map(([field, column]) => `'$.${field}', ${column}`).join(', ')})`
}
