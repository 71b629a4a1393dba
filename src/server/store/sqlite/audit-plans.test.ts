import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { executedBy } from '../../../../tests/support/query-plans'
import type { AuditQuery } from '../../../shared/audit'
import type { Store } from '../store'
import { openSqliteStore } from './sqlite-store'

/**
 * The audit log grows by every timeline opened for two years: a listing filtered by its target
 * or its actor searches that column's index, in the listing's order, and never sorts or reads
 * the whole log.
 */

let dir: string
let dbPath: string
let store: Store
let db: Database.Database

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-audit-plans-'))
  dbPath = path.join(dir, 'server.sqlite')
  store = openSqliteStore(dbPath)
  db = new Database(dbPath, { readonly: true })
})
afterEach(async () => {
  db.close()
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

async function planOf(query: AuditQuery): Promise<string[]> {
  const [listing] = await executedBy(() => store.auditEntries(query))
  if (!listing) throw new Error('the listing ran no SELECT')
  return (db.prepare(`EXPLAIN QUERY PLAN ${listing.sql}`).all(...(listing.params as [])) as { detail: string }[]).map((r) => r.detail)
}

const cursor = Buffer.from(JSON.stringify([1_767_000_000_000, 'x'])).toString('base64url')

describe('audit log listings read through indexes, in order', () => {
  it.each([
    ['a customer’s entries, next page', { targetType: 'customer', targetId: 'c1', limit: 100, after: cursor }, 'audit_log_target'],
    ['a user’s entries in a month', { actor: 'user:u1', from: 1, to: 2, limit: 100 }, 'audit_log_actor'],
    ['everything, next page', { limit: 100, after: cursor }, 'audit_log_at'],
  ] as const)('%s', async (_name, query, index) => {
    const plan = await planOf(query as AuditQuery)
    expect(plan.join('\n')).toMatch(new RegExp(`^SEARCH audit_log USING INDEX ${index}|^SCAN audit_log USING INDEX ${index}`))
    expect(plan.filter((d) => /TEMP B-TREE/.test(d) || /^SCAN audit_log$/.test(d))).toEqual([])
  })
})
