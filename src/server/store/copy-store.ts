import fs from 'node:fs'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openPostgresStore } from './postgres/postgres-store'
import { encodeJsonText, encodeText } from './postgres/text-codec'
import { WRITERS_LOCK } from './postgres/write-locks'
import { MIGRATIONS as SQLITE_MIGRATIONS } from './sqlite/migrations'

/**
 * Copies a SQLite store into an empty PostgreSQL database (`cli.ts store:copy`), table by table:
 * SQLite's rows are streamed (one read transaction, so one consistent view) into multi-row
 * INSERTs, all inside ONE PostgreSQL transaction that also checks the copy before it commits. A
 * copy that fails anywhere leaves the target as it found it: migrated, and empty.
 *
 * What PostgreSQL's store expects is taken from its own schema: a json/jsonb column gets the
 * SQLite text as JSON, every text column and every string inside JSON is NUL-encoded
 * (text-codec.ts), exactly as the PostgreSQL store writes them. Changes keep their seqs and the
 * change counter continues after them; dead letters keep their ids; conversations keep SQLite's
 * rowid as their row_order (the tie-break between two of one millisecond).
 */

/** The tables of a store, each after every table it refers to. */
export const COPIED_TABLES = [
  'users',
  'user_passwords',
  'api_tokens',
  'integrations',
  'customers',
  'identities',
  'conversations',
  'conversation_threads',
  'messages',
  'notes',
  'calls',
  'events',
  'changes',
  'client_mutations',
  'dead_letters',
  'connector_state',
  'customer_suggestions',
  'customer_merges',
  'saved_views',
  'summaries',
  'summary_feedback',
  'summary_usage',
  'summary_requests',
  'erasures',
  'erased_rows',
  'audit_log',
  'reporting_events',
] as const

/**
 * SQLite's own tables and the migration record, which each engine keeps for itself, and
 * SQLite's customer search index (its FTS5 table, the tables FTS5 keeps for it, and its row
 * keys): derived from customers and identities, which PostgreSQL indexes its own way.
 */
const NOT_COPIED = new Set([
  'schema_migrations',
  'sqlite_sequence',
  'customer_search',
  'customer_search_data',
  'customer_search_idx',
  'customer_search_docsize',
  'customer_search_config',
  'customer_search_content',
  'customer_search_rows',
])

/** The newest SQLite schema version this code knows: the only one it copies. */
const NEWEST_SQLITE_VERSION = SQLITE_MIGRATIONS.at(-1)?.version ?? 0

/** Most rows in one INSERT (fewer for wide tables: a statement holds at most 65,535 parameters). */
const DEFAULT_BATCH_ROWS = 1_000
const MAX_PARAMETERS = 65_535

/** A copy refused or failed for a reason the user can act on; nothing was written. */
export class StoreCopyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreCopyError'
  }
}

export interface CopyOptions {
  /** Path of the SQLite store file. */
  from: string
  /** Connection URL of the PostgreSQL database to copy into. */
  to: string
  /** Progress lines (the CLI prints them on stderr). */
  progress?: (line: string) => void
  /** Rows per INSERT statement. */
  batchRows?: number
}

export interface CopyResult {
  tables: { table: string; rows: number }[]
  rows: number
  /** The newest change seq copied (0 for an empty log); the next change gets the one after it. */
  lastSeq: number
  ms: number
}

/** A column of the target table, and how a SQLite value becomes its parameter. */
interface TargetColumn {
  name: string
  convert: (value: unknown) => unknown
}

const asText = (value: unknown): unknown => (typeof value === 'string' ? encodeText(value) : value)
const asJson = (value: unknown): unknown => (typeof value === 'string' ? encodeJsonText(value) : value)
const asIs = (value: unknown): unknown => value

/** host:port/database of a connection URL, for messages: never its password. */
function describeDatabase(connectionString: string): string {
  try {
    const url = new URL(connectionString)
    const host = url.searchParams.get('host') ?? (url.hostname || 'localhost')
    return `${host}:${url.port || '5432'}${url.pathname || '/'}`
  } catch {
    return 'the PostgreSQL database'
  }
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Opens the SQLite store read-only and checks it is a Threadline store at the newest schema version. */
function openSource(file: string): Database.Database {
  let stat: fs.Stats
  try {
    stat = fs.statSync(file)
  } catch {
    throw new StoreCopyError(`there is no SQLite store at ${file}`)
  }
  if (!stat.isFile()) throw new StoreCopyError(`${file} is not a file: --from takes the SQLite store file (server.sqlite)`)
  let db: Database.Database
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
  } catch (err) {
    throw new StoreCopyError(`cannot open ${file} as a SQLite database: ${(err as Error).message}`, { cause: err })
  }
  try {
    let tables: Set<string>
    try {
      tables = new Set(
        (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name),
      )
    } catch (err) {
      throw new StoreCopyError(`${file} is not a SQLite database (${(err as Error).message})`, { cause: err })
    }
    if (!tables.has('schema_migrations') || !tables.has('changes')) {
      throw new StoreCopyError(`${file} is not a Threadline store: it has no schema_migrations or changes table`)
    }
    const { version } = db.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations').get() as { version: number }
    if (version > NEWEST_SQLITE_VERSION) {
      throw new StoreCopyError(
        `${file} is at schema version ${version}, newer than this code knows (${NEWEST_SQLITE_VERSION}): ` +
          'it was written by a newer Threadline server; copy it with that version',
      )
    }
    if (version < NEWEST_SQLITE_VERSION) {
      throw new StoreCopyError(
        `${file} is at schema version ${version}, not the current ${NEWEST_SQLITE_VERSION}: ` +
          'start the current server on it once (THREADLINE_DB, without DATABASE_URL) so that it migrates the file, stop it, then copy',
      )
    }
    const unknown = [...tables].filter(
      (t) => !NOT_COPIED.has(t) && !(COPIED_TABLES as readonly string[]).includes(t) && !t.startsWith('sqlite_'),
    )
    if (unknown.length > 0) {
      throw new StoreCopyError(`${file} has table(s) this copy does not know: ${unknown.join(', ')}; nothing was copied`)
    }
    const missing = COPIED_TABLES.filter((t) => !tables.has(t))
    if (missing.length > 0) throw new StoreCopyError(`${file} lacks table(s) of a Threadline store: ${missing.join(', ')}`)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

/**
 * The target's columns of `table`, matched against SQLite's: every column the one has, the
 * other must have too (conversations' row_order aside, which is SQLite's rowid), or the copy
 * would drop or invent data.
 */
async function targetColumns(client: pg.Client, source: Database.Database, table: string): Promise<TargetColumn[]> {
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  )
  const sourceColumns = (source.pragma(`table_info(${quote(table)})`) as { name: string }[]).map((c) => c.name)
  const targetNames = new Set(rows.map((r) => r.name))
  const dropped = sourceColumns.filter((c) => !targetNames.has(c))
  const invented = rows.map((r) => r.name).filter((c) => !sourceColumns.includes(c) && !(table === 'conversations' && c === 'row_order'))
  if (rows.length === 0 || dropped.length > 0 || invented.length > 0) {
    throw new StoreCopyError(
      `the schemas of table ${table} differ: ` +
        [
          rows.length === 0 ? 'PostgreSQL has no such table' : '',
          dropped.length > 0 ? `only SQLite has ${dropped.join(', ')}` : '',
          invented.length > 0 ? `only PostgreSQL has ${invented.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
    )
  }
  return rows
    .filter((r) => sourceColumns.includes(r.name))
    .map((r) => ({
    name: r.name,
    convert: r.type === 'json' || r.type === 'jsonb' ? asJson : r.type === 'text' ? asText : asIs,
  }))
}

/** Whether the target holds anything a store wrote: the copy only goes into an empty database. */
async function assertEmpty(client: pg.Client, database: string): Promise<void> {
  const filled: string[] = []
  for (const table of COPIED_TABLES) {
    const { rows } = await client.query(`SELECT 1 FROM ${quote(table)} LIMIT 1`)
    if (rows.length > 0) filled.push(table)
  }
  const { rows } = await client.query<{ seq: string }>('SELECT seq FROM change_counter WHERE id = 1')
  if (filled.length > 0 || Number(rows[0]?.seq ?? 0) !== 0) {
    throw new StoreCopyError(
      `the PostgreSQL database ${database} already holds data (${filled.length > 0 ? filled.join(', ') : 'change counter'}): ` +
        'store:copy only copies into an empty database; nothing was written',
    )
  }
}

/** The highest value SQLite's AUTOINCREMENT handed out for `table` (kept even when that row is gone). */
function autoincrementHigh(source: Database.Database, table: string): number {
  const row = source.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(table) as { seq: number } | undefined
  return row?.seq ?? 0
}

/**
 * Copies the SQLite store `from` into the empty PostgreSQL database `to`, migrating it first.
 * Throws StoreCopyError (with nothing written) when the source or target is not fit for it.
 */
export async function copySqliteToPostgres(options: CopyOptions): Promise<CopyResult> {
  const started = performance.now()
  const progress = options.progress ?? (() => undefined)
  const database = describeDatabase(options.to)
  const source = openSource(options.from)
  try {
    // The target's schema, as the server would create it (and its refusals: unreachable, newer).
    await (await openPostgresStore(options.to)).close()

    const client = new pg.Client({ connectionString: options.to, application_name: 'threadline-store-copy' })
    // A broken connection is reported by the query that fails; it must not end the process.
    client.on('error', () => undefined)
    await client.connect()
    try {
      // One read transaction: every table is read from one snapshot of the file.
      source.exec('BEGIN')
      await client.query('BEGIN')
      try {
        // The writers' lock, exclusively, as every write takes first (postgres/write-locks.ts): a
        // server started on the target meanwhile waits for the copy instead of writing into it.
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [WRITERS_LOCK])
        await assertEmpty(client, database)
        const result = await copyTables(source, client, options.batchRows ?? DEFAULT_BATCH_ROWS, progress)
        await client.query('COMMIT')
        // The planner's statistics of the copied tables, at once: until autovacuum gets to them it
        // plans with none, and read the whole change log for each page of a first sync.
        progress('gathering the planner’s statistics…')
        await client.query('ANALYZE')
        return { ...result, ms: performance.now() - started }
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw err
      } finally {
        source.exec('ROLLBACK')
      }
    } finally {
      await client.end().catch(() => undefined)
    }
  } finally {
    source.close()
  }
}

async function copyTables(
  source: Database.Database,
  client: pg.Client,
  batchRows: number,
  progress: (line: string) => void,
): Promise<Omit<CopyResult, 'ms'>> {
  const tables: CopyResult['tables'] = []
  for (const table of COPIED_TABLES) {
    const columns = await targetColumns(client, source, table)
    const rows = await copyTable(source, client, table, columns, batchRows, (n) => progress(`${table}: ${n} rows so far…`))
    tables.push({ table, rows })
    progress(`${table}: ${rows} row${rows === 1 ? '' : 's'} copied`)
  }

  // Identities continue after the copied ids; the change counter after the copied log.
  const rowOrder = source.prepare('SELECT COALESCE(MAX(rowid), 0) AS n FROM conversations').get() as { n: number }
  if (rowOrder.n > 0) await client.query(`SELECT setval(pg_get_serial_sequence('conversations', 'row_order'), $1::bigint)`, [rowOrder.n])
  const letters = source.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM dead_letters').get() as { n: number }
  const letterHigh = Math.max(letters.n, autoincrementHigh(source, 'dead_letters'))
  if (letterHigh > 0) await client.query(`SELECT setval(pg_get_serial_sequence('dead_letters', 'id'), $1::bigint)`, [letterHigh])
  const { seq: lastSeq } = source.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM changes').get() as { seq: number }
  // A seq SQLite handed out is never handed out again, even one whose row is gone (a client may hold it).
  await client.query('UPDATE change_counter SET seq = $1 WHERE id = 1', [Math.max(lastSeq, autoincrementHigh(source, 'changes'))])

  await verify(source, client, tables, lastSeq)
  return { tables, rows: tables.reduce((sum, t) => sum + t.rows, 0), lastSeq }
}

async function copyTable(
  source: Database.Database,
  client: pg.Client,
  table: string,
  columns: TargetColumn[],
  batchRows: number,
  report: (rows: number) => void,
): Promise<number> {
  const withRowOrder = table === 'conversations'
  const names = [...columns.map((c) => c.name), ...(withRowOrder ? ['row_order'] : [])]
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMETERS / names.length)))
  // Dead letters keep their ids and conversations take their rowid as row_order: both are identity columns.
  const overriding = table === 'dead_letters' || withRowOrder ? ' OVERRIDING SYSTEM VALUE' : ''
  const sqlFor = (count: number): string => {
    const tuples: string[] = []
    for (let r = 0; r < count; r++) tuples.push(`(${names.map((_, c) => `$${r * names.length + c + 1}`).join(', ')})`)
    return `INSERT INTO ${quote(table)} (${names.map(quote).join(', ')})${overriding} VALUES ${tuples.join(', ')}`
  }
  // The full batch's statement is prepared once and reused; the last, shorter batch is sent as is.
  const fullBatch = { name: `copy_${table}`, text: sqlFor(perBatch) }

  const select = source.prepare(
    `SELECT ${columns.map((c) => quote(c.name)).join(', ')}${withRowOrder ? ', rowid AS row_order' : ''} FROM ${quote(table)} ORDER BY rowid`,
  )
  let copied = 0
  let values: unknown[] = []
  let inBatch = 0
  let nextReport = 100_000
  const flush = async (): Promise<void> => {
    if (inBatch === 0) return
    try {
      await client.query(inBatch === perBatch ? { ...fullBatch, values } : { text: sqlFor(inBatch), values })
    } catch (err) {
      throw new StoreCopyError(`copying ${table} (rows ${copied + 1}–${copied + inBatch}) failed: ${(err as Error).message}; nothing was written`, {
        cause: err,
      })
    }
    copied += inBatch
    values = []
    inBatch = 0
    if (copied >= nextReport) {
      report(copied)
      nextReport += 100_000
    }
  }
  for (const row of select.iterate() as IterableIterator<Record<string, unknown>>) {
    for (const c of columns) values.push(c.convert(row[c.name]))
    if (withRowOrder) values.push(row.row_order)
    if (++inBatch === perBatch) await flush()
  }
  await flush()
  return copied
}

/** Before COMMIT: every table holds as many rows as SQLite's, and the change log ends at the same seq. */
async function verify(source: Database.Database, client: pg.Client, tables: CopyResult['tables'], lastSeq: number): Promise<void> {
  const wrong: string[] = []
  for (const { table, rows } of tables) {
    const { n: expected } = source.prepare(`SELECT COUNT(*) AS n FROM ${quote(table)}`).get() as { n: number }
    const { rows: found } = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quote(table)}`)
    const actual = Number(found[0]?.n)
    if (actual !== expected || rows !== expected) wrong.push(`${table}: SQLite ${expected}, PostgreSQL ${actual}`)
  }
  const { rows } = await client.query<{ seq: string | null }>('SELECT MAX(seq) AS seq FROM changes')
  const copiedSeq = Number(rows[0]?.seq ?? 0)
  if (copiedSeq !== lastSeq) wrong.push(`newest change: SQLite ${lastSeq}, PostgreSQL ${copiedSeq}`)
  if (wrong.length > 0) throw new StoreCopyError(`the copy does not match the SQLite store (${wrong.join('; ')}); nothing was written`)
}
