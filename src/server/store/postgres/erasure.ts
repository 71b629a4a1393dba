import type { EntityName } from '../../../shared/domain'
import type { Erasure } from '../../../shared/privacy'
import type { HeldEntity } from '../store'
import { TABLES } from '../rows'
import { ERASED_TABLE_ORDER, erasureOf, heldInternalKinds, type ErasureRow, type InternalKind } from '../erasure-rows'

/**
 * The PostgreSQL side of erasures, as sqlite/erasure.ts (the reference) does them, on the
 * writer's connection. Rows deleted here stay in the table files until VACUUM reuses their
 * space (see Store.compact and docs/privacy.md).
 */

export interface Sql {
  rows<R extends object>(sql: string, params?: unknown[]): Promise<R[]>
  run(sql: string, params?: unknown[]): Promise<number>
}

/** Each table's rows about the erasure, given its customer, conversation and summary ids ($1, $2, $3). */
const INTERNAL: Record<InternalKind, { table: string; where: string }> = {
  thread: { table: 'conversation_threads', where: 'conversation_id = ANY($2::text[])' },
  suggestion: {
    table: 'customer_suggestions',
    where: 'customer_id = ANY($1::text[]) OR candidate_id = ANY($1::text[]) OR conversation_id = ANY($2::text[])',
  },
  merge: { table: 'customer_merges', where: 'source_id = ANY($1::text[]) OR target_id = ANY($1::text[])' },
  feedback: { table: 'summary_feedback', where: 'summary_id = ANY($3::text[])' },
}

/** PostgreSQL must know every parameter's type, also of those a clause does not use. */
const typed = (where: string): string => `(${where}) AND $1::text[] IS NOT NULL AND $2::text[] IS NOT NULL AND $3::text[] IS NOT NULL`

export async function getErasure(sql: Sql, customerId: string): Promise<Erasure | null> {
  const [row] = await sql.rows<ErasureRow>('SELECT * FROM erasures WHERE customer_id = $1', [customerId])
  return row ? erasureOf(row) : null
}

export async function listErasures(sql: Sql): Promise<Erasure[]> {
  return (await sql.rows<ErasureRow>('SELECT * FROM erasures ORDER BY purge_at, customer_id')).map(erasureOf)
}

export async function heldEntities(sql: Sql, customerId: string): Promise<HeldEntity[]> {
  const rows = await sql.rows<{ kind: EntityName; data: string }>(
    `SELECT kind, data FROM erased_rows WHERE customer_id = $1 AND kind NOT LIKE 'table:%' ORDER BY ord`,
    [customerId],
  )
  return rows.map((r) => ({ entity: r.kind, data: JSON.parse(r.data) }) as HeldEntity)
}

export async function attachmentInUse(sql: Sql, url: string): Promise<boolean> {
  const rows = await sql.rows(
    `SELECT 1 WHERE EXISTS (SELECT 1 FROM messages WHERE strpos(attachments::text, $1) > 0)
       OR EXISTS (SELECT 1 FROM erased_rows WHERE kind = 'message' AND strpos(data, $1) > 0)`,
    [url],
  )
  return rows.length > 0
}

export async function holdRows(sql: Sql, erasure: Erasure, entities: readonly HeldEntity[]): Promise<void> {
  await sql.run(
    `INSERT INTO erasures (customer_id, customer_ids, name, requested_by, requested_at, purge_at, immediate)
     VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7)`,
    [
      erasure.customerId,
      JSON.stringify(erasure.customerIds),
      erasure.name,
      erasure.requestedBy,
      erasure.requestedAt,
      erasure.purgeAt,
      erasure.immediate,
    ],
  )
  let ord = 0
  const hold = (kind: string, data: string) =>
    sql.run('INSERT INTO erased_rows (customer_id, ord, kind, data) VALUES ($1, $2, $3, $4)', [erasure.customerId, ord++, kind, data])
  for (const { entity, data } of entities) await hold(entity, JSON.stringify(data))

  const idsOf = (entity: EntityName): string[] => entities.filter((e) => e.entity === entity).map((e) => e.data.id)
  const params = [[...erasure.customerIds], idsOf('conversation'), idsOf('summary')]
  for (const kind of heldInternalKinds) {
    const { table, where } = INTERNAL[kind]
    const rows = await sql.rows<{ row: string }>(`SELECT to_jsonb(t)::text AS row FROM ${table} t WHERE ${typed(where)}`, params)
    for (const { row } of rows) await hold(`table:${kind}`, row)
    await sql.run(`DELETE FROM ${table} WHERE ${typed(where)}`, params)
  }
  // A waiting request to write their story again: moot, and not worth keeping for a restore.
  await sql.run('DELETE FROM summary_requests WHERE customer_id = ANY($1::text[])', [params[0]])

  for (const entity of ERASED_TABLE_ORDER) await dropRows(sql, entity, idsOf(entity))
  // Their reporting events stay, so that the counts stay, but no longer say whose they were:
  // neither the rows nor the changes that carried them (a restore does not link them again).
  await sql.run(
    `UPDATE changes SET data = jsonb_set(data::jsonb, '{customerId}', 'null'::jsonb)::json
     WHERE entity = 'reportingEvent' AND data IS NOT NULL
       AND entity_id IN (SELECT id FROM reporting_events WHERE customer_id = ANY($1::text[]))`,
    [params[0]],
  )
  await sql.run('UPDATE reporting_events SET customer_id = NULL WHERE customer_id = ANY($1::text[])', [params[0]])
}

/** Deletes the rows and rewrites every change of them to a tombstone: each keeps its seq and loses its payload. */
export async function dropRows(sql: Sql, entity: EntityName, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await sql.run(`DELETE FROM ${TABLES[entity]} WHERE id = ANY($1::text[])`, [ids])
  await sql.run(
    `UPDATE changes SET op = 'delete', data = NULL WHERE entity_id = ANY($1::text[]) AND entity = $2 AND data IS NOT NULL`,
    [ids, entity],
  )
}

export async function releaseRows(sql: Sql, customerId: string): Promise<void> {
  const rows = await sql.rows<{ kind: string; data: string }>(
    `SELECT kind, data FROM erased_rows WHERE customer_id = $1 AND kind LIKE 'table:%' ORDER BY ord`,
    [customerId],
  )
  const exists = async (table: string, id: unknown): Promise<boolean> =>
    (await sql.rows(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).length > 0
  for (const { kind, data } of rows) {
    const { table } = INTERNAL[kind.slice('table:'.length) as InternalKind]
    const row = JSON.parse(data) as Record<string, unknown>
    const refersToExisting =
      table === 'conversation_threads'
        ? await exists('conversations', row.conversation_id)
        : table === 'customer_suggestions'
          ? (await exists('customers', row.customer_id)) &&
            (await exists('customers', row.candidate_id)) &&
            (await exists('conversations', row.conversation_id))
          : table === 'customer_merges'
            ? (await exists('customers', row.source_id)) && (await exists('customers', row.target_id))
            : true
    if (!refersToExisting) continue
    // A key a new customer's thread took meanwhile stays theirs: DO NOTHING.
    await sql.run(`INSERT INTO ${table} SELECT * FROM jsonb_populate_record(NULL::${table}, $1::jsonb) ON CONFLICT DO NOTHING`, [data])
  }
  await sql.run('DELETE FROM erasures WHERE customer_id = $1', [customerId])
}

export async function purgeRows(sql: Sql, customerId: string, traces: readonly string[]): Promise<void> {
  await sql.run('DELETE FROM erasures WHERE customer_id = $1', [customerId])
  await sql.run('DELETE FROM dead_letters WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) t WHERE strpos(payload::text, t) > 0)', [
    [...traces],
  ])
}
