import type { EntityName } from '../../../shared/domain'
import { columnsOf, TABLES } from '../rows'

const UPSERTS = new Map<EntityName, string>()

/** SQLite's upsert of an entity row, its named parameters the columns toRow() fills. */
export function upsertSql(entity: EntityName): string {
  let sql = UPSERTS.get(entity)
  if (!sql) {
    const cols = columnsOf(entity).map((c) => c.column)
    const updates = cols.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`)
    sql = `INSERT INTO ${TABLES[entity]} (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})
    ON CONFLICT(id) DO UPDATE SET ${updates.join(', ')}`
    UPSERTS.set(entity, sql)
  }
  return sql
}
