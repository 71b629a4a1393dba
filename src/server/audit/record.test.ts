import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storeEngines, type StoreEngine } from '../../../tests/support/store-engines'
import { connectorActor, systemActor, userActor } from '../../shared/actors'
import type { Store } from '../store/store'
import { CHANNEL_ORIGIN, CLI_ORIGIN } from './origin'
import { recordAudit } from './record'

const T = 1_767_000_000_000

/** Runs SQL on the engine's database through a connection of the test's own, able to write. */
async function runDirectly(engine: StoreEngine, sql: string): Promise<void> {
  if (engine.name === 'sqlite') {
    const db = new Database(engine.location())
    try {
      db.exec(sql)
    } finally {
      db.close()
    }
    return
  }
  const client = new pg.Client({ connectionString: engine.location() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

describe.each(storeEngines().map((engine) => [engine.name, engine] as const))('audit entries on %s', (_name, engine) => {
  let store: Store

  beforeAll(() => engine.setup(), 60_000)
  afterAll(() => engine.teardown(), 60_000)
  beforeEach(async () => {
    await engine.fresh()
    store = await engine.open()
  })
  afterEach(() => engine.cleanUp())

  it('records on its own or inside the caller’s write, naming the actor as they were called then', async () => {
    await store.write(
      (w) => w.put('user', { id: 'u1', name: 'Ada Admin', email: 'ada@example.com', role: 'admin', team: null, inboxes: null, createdAt: 1 }),
      systemActor('test'),
    )
    const alone = await recordAudit(store, {
      actor: userActor('u1'),
      action: 'user.role_changed',
      target: { type: 'user', id: 'u2' },
      origin: CLI_ORIGIN,
      details: { fromRole: 'agent', toRole: 'supervisor' },
    }, T)
    const { result: inside } = await store.write(async (w) =>
      recordAudit(w, { actor: connectorActor('twilio-sms:SMS'), action: 'consent.changed', target: { type: 'customer', id: 'c1' }, origin: CHANNEL_ORIGIN, at: T - 50 }, T + 1),
    )
    expect(alone).toMatchObject({ at: T, recordedAt: T, actorName: 'Ada Admin', details: { fromRole: 'agent', toRole: 'supervisor' } })
    expect(inside).toMatchObject({ at: T - 50, recordedAt: T + 1, actorName: 'twilio-sms:SMS', details: {} })
    expect((await store.auditEntries({ limit: 10 })).items).toEqual([alone, inside])
  })

  it('refuses details outside its closed set, so free text cannot reach the log', async () => {
    const event = {
      actor: userActor('u1'),
      action: 'customer.exported' as const,
      target: { type: 'customer' as const, id: 'c1' },
      origin: CLI_ORIGIN,
      details: { note: 'the customer wrote: my password is hunter2' } as never,
    }
    await expect(recordAudit(store, event)).rejects.toThrow(/note/)
    expect((await store.auditEntries({ limit: 10 })).items).toEqual([])
  })

  it('is append-only in the database itself', async () => {
    await recordAudit(store, { actor: userActor('u1'), action: 'timeline.opened', target: { type: 'customer', id: 'c1' }, origin: CLI_ORIGIN })
    await expect(runDirectly(engine, `UPDATE audit_log SET actor_name = 'someone else'`)).rejects.toThrow(/append-only/)
  })
})
