import Database from 'better-sqlite3'

/**
 * Finds hot statements that read a whole table: every statement a call really executes is
 * captured with its parameters, then EXPLAIN QUERY PLAN shows each step. Used by the client
 * cache's and the server store's plan tests alike.
 */

type Method = 'all' | 'get' | 'run' | 'iterate'
export interface Executed {
  sql: string
  params: unknown[]
}

/**
 * Every SELECT `run` executes, on any connection, with the parameters it was given. When `run`
 * returns a promise (the server store is asynchronous), capture lasts until it settles.
 */
export function executedBy(run: () => Promise<unknown>): Promise<Executed[]>
export function executedBy(run: () => void): Executed[]
export function executedBy(run: () => unknown): Executed[] | Promise<Executed[]> {
  const probe = new Database(':memory:')
  const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<Method, (...args: unknown[]) => unknown>
  probe.close()
  const seen: Executed[] = []
  const originals = new Map<Method, (...args: unknown[]) => unknown>()
  for (const method of ['all', 'get', 'run', 'iterate'] as const) {
    const original = proto[method]
    originals.set(method, original)
    proto[method] = function (this: { source: string }, ...params: unknown[]) {
      seen.push({ sql: this.source, params })
      return original.apply(this, params)
    }
  }
  const restore = (): void => {
    for (const [method, original] of originals) proto[method] = original
  }
  const selects = (): Executed[] => seen.filter((e) => /^\s*SELECT/i.test(e.sql))
  let result: unknown
  try {
    result = run()
  } catch (err) {
    restore()
    throw err
  }
  if (result instanceof Promise) return result.finally(restore).then(selects)
  restore()
  return selects()
}

/**
 * Plan steps that read a whole table rather than searching an index (json_each is a list of
 * ids, not a table). `allowed` names small tables that are meant to be read whole.
 */
export function tableScans(db: Database.Database, executed: Executed[], allowed: readonly string[] = []): string[] {
  const whole = new Set(allowed.map((table) => `SCAN ${table}`))
  return executed.flatMap(({ sql, params }) =>
    (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(params as [])) as { detail: string }[])
      .map((r) => r.detail)
      .filter((d) => /^SCAN /.test(d) && !/VIRTUAL TABLE|CONSTANT ROW|USING (COVERING )?INDEX/.test(d) && !whole.has(d))
      .map((d) => `${d}  ←  ${sql.replace(/\s+/g, ' ').slice(0, 160)}`),
  )
}
