import type { Database, Statement } from 'better-sqlite3'

const statements = new WeakMap<Database, Map<string, Statement>>()

/** The statement for `sql` on this connection, prepared once and reused. */
export function stmt(db: Database, sql: string): Statement {
  let byDb = statements.get(db)
  if (!byDb) {
    byDb = new Map()
    statements.set(db, byDb)
  }
  let prepared = byDb.get(sql)
  if (!prepared) {
    prepared = db.prepare(sql)
    byDb.set(sql, prepared)
  }
  return prepared
}
