import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemActor } from '../../src/shared/actors'
import { seedDemo } from '../../src/server/demo/seed'
import { startServer } from '../../src/server/server'
import { COPIED_TABLES, copySqliteToPostgres, StoreCopyError } from '../../src/server/store/copy-store'
import { openPostgresStore } from '../../src/server/store/postgres/postgres-store'
import { audienceToken } from '../../src/server/store/rows'
import { migrate, MIGRATIONS } from '../../src/server/store/sqlite/migrations'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import type { InboxScope, Store } from '../../src/server/store/store'
import { createTestDatabase, type TestDatabase } from '../support/postgres'

/**
 * store:copy on a real SQLite store (written by the real server: the demo history, a merge, a
 * token, an integration, dead letters, connector state, text with NUL characters) into a real
 * PostgreSQL database, which must then answer every read exactly as the SQLite store does.
 */

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
let dir: string
let sqlitePath: string
const databases: TestDatabase[] = []

async function newDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase()
  databases.push(db)
  return db
}

/** Rows of every copied table and the change counter, straight from the database. */
/** Which of `tables` the planner has no statistics of yet. */
async function unanalyzed(url: string, tables: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ relname: string }>(
      'SELECT relname FROM pg_stat_user_tables WHERE relname = ANY($1) AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname',
      [tables],
    )
    return rows.map((r) => r.relname)
  } finally {
    await client.end()
  }
}

async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const counts: Record<string, number> = {}
    for (const table of COPIED_TABLES) {
      counts[table] = Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0]!.n)
    }
    counts.change_counter = Number((await client.query<{ seq: string }>('SELECT seq FROM change_counter')).rows[0]!.seq)
    return counts
  } finally {
    await client.end()
  }
}

const NUL_TEXT = 'before\u0000after \uffff end'

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-copy-'))
  sqlitePath = path.join(dir, 'server.sqlite')
  const server = await startServer({ dbPath: sqlitePath, logLevel: 'silent' })
  try {
    await seedDemo(server, { seed: 1, customers: 20 })
    const admin = await server.createUser({ name: 'Ada Admin', email: 'ada@example.com', role: 'admin' })
    await server.setPassword(admin.id, 'a long enough password 1')
    await server.createToken(admin.id, 'laptop')
    await server.createIntegration({ name: 'Zapier', inboxes: ['SMS', 'Support email'] })
    const revoked = await server.createIntegration({ name: 'Old hook', inboxes: ['SMS'] })
    await server.revokeIntegration(revoked.integration.id)
    // Two customers who are one: merged by an agent, from a client that numbers its mutations.
    const a = await server.ingest({
      channel: 'email',
      inbox: 'Support email',
      externalId: '<copy-1@mail.test>',
      from: { kind: 'email', address: 'nul@example.com', name: 'Nul Tester' },
      subject: 'Odd characters',
      text: NUL_TEXT,
    })
    const b = await server.ingest({
      channel: 'sms',
      inbox: 'SMS',
      externalId: 'SM-copy-1',
      from: { kind: 'phone', address: '+14155550199', name: 'N. Tester' },
      text: 'it is me again',
    })
    const merged = await server.applyMutation(
      admin,
      { name: 'mergeCustomers', args: { mergeId: 'merge-copy-1', sourceId: b.customerId, targetId: a.customerId } },
      { clientId: 'client-copy', mutationId: 7 },
    )
    expect(merged.outcome).not.toBe('rejected')
  } finally {
    await server.close()
  }
  // What only the server's background work writes: dead letters (one retried away) and connector state.
  const store = openSqliteStore(sqlitePath)
  try {
    await store.write(async (w) => {
      await w.addDeadLetter('inbound', 'SMS', { channel: 'sms', inbox: 'SMS', text: NUL_TEXT }, 'database was busy', Date.now() + 60_000)
      await w.addDeadLetter('refused-webhook', null, { url: '/webhooks/x' }, 'bad signature', Date.now(), systemActor('demo'))
      // The newest letter is retried away: its id is never handed out again.
      await w.deleteDeadLetter(await w.addDeadLetter('inbound', 'Support email', { text: 'third' }, 'timeout', Date.now()))
      await w.setConnectorState('imap:Support email', 'INBOX', { uidValidity: 42, lastUid: 1234, note: NUL_TEXT })
    }, systemActor('server'))
  } finally {
    await store.close()
  }
}, 120_000)

afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()))
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Every page of the change log, as one reader sees it. */
async function allChanges(store: Store, scope: InboxScope, limit: number): Promise<unknown[]> {
  const pages: unknown[] = []
  let cursor = 0
  for (;;) {
    const page = await store.changesAfter(cursor, limit, scope)
    pages.push(page)
    cursor = page.cursor
    if (!page.hasMore) return pages
  }
}

async function allConversations(store: Store, filter: { inbox?: string; scope: InboxScope }): Promise<unknown[]> {
  const pages: unknown[] = []
  let after: string | undefined
  do {
    const page = await store.listConversations({ ...filter, limit: 25, after })
    pages.push(page)
    after = page.next ?? undefined
  } while (after)
  return pages
}

async function fullTimeline(store: Store, customerId: string, scope: InboxScope): Promise<unknown[]> {
  const pages: unknown[] = []
  let before: string | undefined
  do {
    const page = await store.timeline(customerId, scope, 7, before)
    pages.push(page)
    before = page.next ?? undefined
  } while (before)
  return pages
}

/** Everything the test compares between the two engines. */
async function answers(store: Store): Promise<Record<string, unknown>> {
  const customers = await store.searchCustomers({ scope: null, limit: 1_000, offset: 0 })
  const tokens = await store.listApiTokens(null)
  const users = await store.listUsers()
  const out: Record<string, unknown> = {
    counts: await store.counts(),
    lastSeq: await store.lastSeq(),
    changes: await allChanges(store, null, 97),
    changesSms: await allChanges(store, ['SMS'], 50),
    conversations: await allConversations(store, { scope: null }),
    conversationsEmail: await allConversations(store, { inbox: 'Support email', scope: ['Support email', 'SMS'] }),
    customers,
    searchA: await store.searchCustomers({ query: 'a', scope: null, limit: 30, offset: 5 }),
    searchAddress: await store.searchCustomers({ query: '@example', scope: ['SMS'], limit: 50, offset: 0 }),
    searchMergedName: await store.searchCustomers({ query: 'N. Tester', scope: null, limit: 10, offset: 0 }),
    users,
    passwords: await Promise.all(users.map((u) => store.passwordHashOf(u.id))),
    tokens,
    tokensByHash: await Promise.all(tokens.map((t) => store.apiTokenByHash(t.tokenHash))),
    integrations: await store.listIntegrations(),
    deadLetters: await store.deadLetters(null, 100),
    deadLettersSms: await store.deadLetters(['SMS'], 100),
    dueDeadLetters: await store.dueDeadLetters(Date.now() + 10_000, 100),
    connectorState: await store.getConnectorState('imap:Support email', 'INBOX'),
    lastMutationId: await store.lastMutationId('client-copy'),
    merge: await store.getCustomerMerge('merge-copy-1'),
    nulMessage: await store.messageByExternalId('email', '<copy-1@mail.test>'),
    auditLog: await store.auditEntries({ limit: 500 }),
  }
  for (const customer of customers.slice(0, 6)) {
    out[`timeline ${customer.id}`] = await fullTimeline(store, customer.id, null)
    out[`timeline sms ${customer.id}`] = await fullTimeline(store, customer.id, ['SMS'])
    out[`identities ${customer.id}`] = await store.identitiesOf(customer.id)
    out[`suggestions ${customer.id}`] = await store.customerSuggestions(customer.id)
    out[`latest ${customer.id}`] = await store.latestUnresolvedConversation(customer.id)
    for (const channel of ['email', 'sms', 'whatsapp'] as const) {
      out[`latest ${channel} ${customer.id}`] = await store.latestConversationOnChannel(customer.id, channel, null)
    }
  }
  return out
}

describe('store:copy from SQLite to PostgreSQL', () => {
  let target: TestDatabase

  it('copies every table in one transaction, and the PostgreSQL store answers as the SQLite store did', async () => {
    target = await newDatabase()
    const lines: string[] = []
    const result = await copySqliteToPostgres({ from: sqlitePath, to: target.url, progress: (l) => lines.push(l), batchRows: 100 })

    const sqlite = openSqliteStore(sqlitePath)
    const postgres = await openPostgresStore(target.url)
    try {
      const expected = await answers(sqlite)
      const actual = await answers(postgres)
      // Not a trivial store: the comparison covers a real history.
      expect((expected.counts as { messages: number }).messages).toBeGreaterThan(50)
      expect((expected.changes as unknown[]).length).toBeGreaterThan(3)
      expect((expected.deadLetters as unknown[]).length).toBe(2)
      expect((expected.integrations as unknown[]).length).toBe(2)
      expect(expected.lastMutationId).toBe(7)
      expect(expected.merge).not.toBeNull()
      expect((expected.auditLog as { items: { action: string }[] }).items.map((e) => e.action)).toContain('customer.merged')
      expect((expected.nulMessage as { text: string }).text).toBe(NUL_TEXT)
      expect((expected.connectorState as { note: string }).note).toBe(NUL_TEXT)
      for (const key of Object.keys(expected)) expect(actual[key], key).toEqual(expected[key])
      expect(result.lastSeq).toBe(await sqlite.lastSeq())
    } finally {
      await sqlite.close()
      await postgres.close()
    }

    expect(lines).toEqual(expect.arrayContaining(COPIED_TABLES.map((t) => expect.stringMatching(new RegExp(`^${t}: \\d+ rows? copied$`)))))
    const counts = await tableCounts(target.url)
    for (const { table, rows } of result.tables) expect(counts[table], table).toBe(rows)
    expect(counts.change_counter).toBe(result.lastSeq)
    expect(result.rows).toBe(result.tables.reduce((n, t) => n + t.rows, 0))
    // Planned from statistics at once: a first sync's pages read the change log by its index.
    expect(await unanalyzed(target.url, ['changes', 'messages', 'conversations', 'customers', 'identities'])).toEqual([])
  })

  it('continues on PostgreSQL where SQLite stopped: the next change, dead letter and conversation follow the copied ones', async () => {
    const copiedSeq = (await tableCounts(target.url)).change_counter!
    const source = new Database(sqlitePath, { readonly: true })
    const { maxLetter } = source.prepare(`SELECT seq AS maxLetter FROM sqlite_sequence WHERE name = 'dead_letters'`).get() as { maxLetter: number }
    source.close()

    const server = await startServer({ dbPath: path.join(dir, 'pg-node.sqlite'), databaseUrl: target.url, logLevel: 'silent' })
    try {
      const lastSeq = (await server.counts()).lastSeq
      expect(lastSeq).toBe(copiedSeq)
      await server.ingest({
        channel: 'sms',
        inbox: 'SMS',
        externalId: 'SM-after-copy',
        from: { kind: 'phone', address: '+14155550123', name: 'After Copy' },
        text: 'first message on PostgreSQL',
      })
    } finally {
      await server.close()
    }
    const store = await openPostgresStore(target.url)
    try {
      // As a supervisor reads it: the ingest's reporting event is in the log too.
      const page = await store.changesAfter(copiedSeq, 100, null, [audienceToken.supervisors])
      expect(page.changes[0]?.seq).toBe(copiedSeq + 1)
      expect(page.changes.map((c) => c.seq)).toEqual(page.changes.map((_, i) => copiedSeq + 1 + i))
      const { result: letterId } = await store.write((w) => w.addDeadLetter('inbound', 'SMS', { n: 1 }, 'x', Date.now()), systemActor('server'))
      // SQLite's AUTOINCREMENT never reuses an id, even of a letter deleted since: neither does the copy.
      expect(letterId).toBe(maxLetter + 1)
      // The new SMS thread resumed by the customer's next message is the newest in row order too.
      const customer = (await store.searchCustomers({ query: 'After Copy', scope: null, limit: 1, offset: 0 }))[0]!
      expect(await store.latestConversationOnChannel(customer.id, 'sms', null)).not.toBeNull()
    } finally {
      await store.close()
    }
  })

  it('refuses a target that already holds data, and writes nothing', async () => {
    const before = await tableCounts(target.url)
    const refused = copySqliteToPostgres({ from: sqlitePath, to: target.url })
    await expect(refused).rejects.toThrow(StoreCopyError)
    await expect(refused).rejects.toThrow(/already holds data \(users, .*\).*only copies into an empty database/)
    expect(await tableCounts(target.url)).toEqual(before)
  })

  it('refuses a missing file, a file that is not a store, and a store not yet migrated, before touching the target', async () => {
    const empty = await newDatabase()
    await expect(copySqliteToPostgres({ from: path.join(dir, 'nope.sqlite'), to: empty.url })).rejects.toThrow(
      /there is no SQLite store at .*nope\.sqlite/,
    )
    const text = path.join(dir, 'notes.txt')
    fs.writeFileSync(text, 'not a database at all, just some words that are long enough to fill a header page'.repeat(20))
    await expect(copySqliteToPostgres({ from: text, to: empty.url })).rejects.toThrow(/is not a SQLite database/)
    const other = path.join(dir, 'other.sqlite')
    new Database(other).exec('CREATE TABLE t (x)').close()
    await expect(copySqliteToPostgres({ from: other, to: empty.url })).rejects.toThrow(/is not a Threadline store/)
    const old = path.join(dir, 'old.sqlite')
    const oldDb = new Database(old)
    migrate(oldDb, old, MIGRATIONS.slice(0, -1))
    oldDb.close()
    await expect(copySqliteToPostgres({ from: old, to: empty.url })).rejects.toThrow(
      new RegExp(`schema version ${MIGRATIONS.length - 1}, not the current ${MIGRATIONS.length}: start the current server on it once`),
    )
    const extra = path.join(dir, 'extra.sqlite')
    fs.copyFileSync(sqlitePath, extra)
    new Database(extra).exec('CREATE TABLE my_notes (x TEXT)').close()
    await expect(copySqliteToPostgres({ from: extra, to: empty.url })).rejects.toThrow(/table\(s\) this copy does not know: my_notes/)
    // None of these got as far as the target: it was not even migrated.
    const client = new pg.Client({ connectionString: empty.url })
    await client.connect()
    try {
      expect((await client.query(`SELECT 1 FROM pg_tables WHERE tablename = 'users'`)).rows).toEqual([])
    } finally {
      await client.end()
    }
  })

  it('leaves the target empty when a row cannot be copied, and a later copy into it succeeds', async () => {
    const broken = path.join(dir, 'broken.sqlite')
    fs.copyFileSync(sqlitePath, broken)
    const db = new Database(broken)
    // A JSON column holding something that is not JSON: PostgreSQL refuses it, late in the copy.
    db.exec(`UPDATE customer_merges SET moved = 'not json'`)
    db.close()
    const empty = await newDatabase()
    await expect(copySqliteToPostgres({ from: broken, to: empty.url })).rejects.toThrow(/copying customer_merges \(rows 1–1\) failed: .*json/i)
    const counts = await tableCounts(empty.url)
    expect(Object.values(counts).every((n) => n === 0)).toBe(true)
    const result = await copySqliteToPostgres({ from: sqlitePath, to: empty.url })
    expect(result.rows).toBeGreaterThan(0)
  })

  it('runs as `cli store:copy --from …`: progress per table on stderr, a summary on stdout', async () => {
    const empty = await newDatabase()
    const cli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
          cwd: root,
          env: { ...process.env, DATABASE_URL: empty.url, THREADLINE_DB: path.join(dir, 'unused.sqlite') },
        })
        return { code: 0, stdout, stderr }
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string }
        return { code: e.code, stdout: e.stdout, stderr: e.stderr }
      }
    }
    const copied = await cli('store:copy', '--from', sqlitePath)
    expect(copied.stderr).toMatch(/^users: \d+ rows? copied$/m)
    expect(copied.stderr).toMatch(/^changes: \d+ rows? copied$/m)
    expect(copied.stdout).toMatch(/^copied \d+ rows in 27 tables from .*server\.sqlite in [\d.]+ s \(\d+ rows\/s\); the change log ends at seq \d+$/m)
    expect(copied.code).toBe(0)

    const again = await cli('store:copy', '--from', sqlitePath)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^error: the PostgreSQL database .* already holds data/m)
    const missing = await cli('store:copy', '--from', path.join(dir, 'missing.sqlite'))
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/error: there is no SQLite store at/)
    const noFrom = await cli('store:copy')
    expect(noFrom.code).toBe(2)
    expect(noFrom.stderr).toMatch(/store:copy needs --from/)
    // The unused SQLite path was never created: the command opens no store of its own.
    expect(fs.existsSync(path.join(dir, 'unused.sqlite'))).toBe(false)
  })
})
