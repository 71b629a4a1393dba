import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * PostgreSQL for tests: each test file gets a database of its own, created on the server at
 * THREADLINE_TEST_POSTGRES_URL and dropped afterwards. The tests need that server: when it
 * cannot be reached they fail with a message saying so, never skip.
 */

export const TEST_POSTGRES_URL = process.env.THREADLINE_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

export class PostgresUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `These tests need PostgreSQL at ${shown(url)} (a user allowed to CREATE DATABASE), and it could not be reached: ` +
        `${cause instanceof Error ? cause.message || cause.name : String(cause)}. ` +
        `.ci/run starts the local cluster before the tests; to start it by hand: ` +
        `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start. ` +
        `To use another server, set THREADLINE_TEST_POSTGRES_URL.`,
      { cause },
    )
    this.name = 'PostgresUnavailableError'
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  // A database dropped WITH (FORCE) ends its sessions; that must not crash the test run.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => undefined)
    throw new PostgresUnavailableError(url, err)
  }
  return client
}

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string
  /** Drops the database, ending whatever sessions are still connected to it. */
  drop(): Promise<void>
}

/**
 * Creates an empty database `threadline_test_<random hex>`. Its collation is ICU's en-US, as a
 * production database's usually is (not the C order of a bare test cluster), so a store that
 * leaves ordering or comparisons to the database's collation is caught by the tests.
 */
export async function createTestDatabase(adminUrl: string = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const name = `threadline_test_${randomBytes(6).toString('hex')}`
  const admin = await connect(adminUrl)
  try {
    await admin.query(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LC_COLLATE 'C' LC_CTYPE 'C'`,
    )
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  let dropped = false
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return
      dropped = true
      const client = await connect(adminUrl)
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}

export interface DatabaseSnapshot {
  /** Puts every table and sequence back as they were when the snapshot was taken. */
  restore(): Promise<void>
  /** Rows of a query on the database, for checks the store's interface does not offer. */
  query(sql: string): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

/** The tables ordered so that each comes before every table it refers to (TRUNCATE's order would be slower to run). */
function referencingFirst(tables: { oid: string; name: string }[], references: { child: string; parent: string }[]): string[] {
  const ordered: string[] = []
  const done = new Set<string>()
  const visiting = new Set<string>()
  const byOid = new Map(tables.map((t) => [t.oid, t]))
  // Depth first over "is referred to by": a table is listed once every table referring to it is.
  const visit = (oid: string): void => {
    if (done.has(oid) || !byOid.has(oid)) return
    if (visiting.has(oid)) throw new Error('tables that refer to each other in a cycle: the test reset cannot order them')
    visiting.add(oid)
    for (const r of references) if (r.parent === oid) visit(r.child)
    visiting.delete(oid)
    done.add(oid)
    ordered.push(byOid.get(oid)!.name)
  }
  for (const t of tables) visit(t.oid)
  return ordered
}

/**
 * Records what every table and sequence of the database holds now (a freshly migrated store:
 * its schema version rows, its change counter), so each test can start from exactly that.
 * Much quicker than a database per test: a few milliseconds per reset, without knowing the
 * store's tables by name.
 */
export async function snapshotDatabase(url: string): Promise<DatabaseSnapshot> {
  const client = await connect(url)
  const userSchemas = `NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`
  const found = (
    await client.query<{ oid: string; name: string }>(
      `SELECT c.oid::text AS oid, format('%I.%I', n.nspname, c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname ${userSchemas} ORDER BY 2`,
    )
  ).rows
  const references = (
    await client.query<{ child: string; parent: string }>(
      `SELECT conrelid::text AS child, confrelid::text AS parent FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid`,
    )
  ).rows
  const tables = referencingFirst(found, references)
  const contents: { table: string; columns: string; rows: string }[] = []
  for (const table of tables) {
    const { rows } = await client.query<{ rows: unknown[] | null }>(`SELECT json_agg(t) AS rows FROM ${table} t`)
    if (!rows[0]?.rows) continue
    // Generated columns are computed again, not copied.
    const columns = await client.query<{ name: string }>(
      `SELECT quote_ident(attname) AS name FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
      [table],
    )
    contents.push({ table, columns: columns.rows.map((c) => c.name).join(', '), rows: JSON.stringify(rows[0].rows) })
  }
  const sequences: { name: string; value: string; called: boolean }[] = []
  const seqNames = (
    await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences WHERE schemaname ${userSchemas}`,
    )
  ).rows.map((r) => r.name)
  for (const name of seqNames) {
    const { rows } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${name}`)
    sequences.push({ name, value: rows[0]!.last_value, called: rows[0]!.is_called })
  }

  return {
    async restore() {
      await client.query('BEGIN')
      try {
        // Rows that refer to others go first, so no foreign key objects (and no superuser is needed).
        if (tables.length > 0) await client.query(`DELETE FROM ${tables.join('; DELETE FROM ')}`)
        for (const { table, columns, rows } of [...contents].reverse()) {
          await client.query(
            `INSERT INTO ${table} (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM json_populate_recordset(NULL::${table}, $1::json)`,
            [rows],
          )
        }
        for (const s of sequences) await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [s.name, s.value, s.called])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK')
        throw err
      }
    },
    async query(sql: string) {
      return (await client.query<Record<string, unknown>>(sql)).rows
    },
    async close() {
      await client.end()
    },
  }
}
