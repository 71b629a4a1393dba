import type { Database } from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ENTITY_SCHEMAS, type Call, type Summary, type TimelineEvent } from '../../shared/domain'
import { conversation, customer, message, note, tempDir, user } from '../testing/fixtures'
import { enqueueAction } from '../sync/outbox'
import { entityFromRow, packEntity } from './entity-json'
import { openCache } from './open'
import { dumpEntities, getEntity, listConversationItems, listTimeline, restoreServerEntity, writeLocalEntity, upsertServerEntity } from './queries'

let dir: ReturnType<typeof tempDir>
let db: Database
beforeEach(() => {
  dir = tempDir()
  db = openCache(dir.path, 'http://127.0.0.1:4100')
})
afterEach(() => {
  db.close()
  dir.remove()
})

const v1 = conversation('v1', 'c1', { labels: [] })
const m1 = message('m1', v1, 10, { attachments: [{ name: 'label.pdf', contentType: 'application/pdf', size: 10, url: null }] })

describe('entities as stored in the cache', () => {
  it('reads every entity back exactly as written, ids and empty fields included', () => {
    const rows = [
      ['user', user('u1')],
      ['customer', customer('c1')],
      ['conversation', v1],
      ['message', m1],
      ['message', message('m2', v1, 11)],
      ['note', note('n1', v1, 12)],
    ] as const
    for (const [entity, data] of rows) {
      expect(ENTITY_SCHEMAS[entity].safeParse(data).success).toBe(true)
      upsertServerEntity(db, entity, data as never)
      expect(getEntity(db, entity, data.id)).toEqual({ current: data, server: data })
    }
    const call: Call = {
      id: 'k1', conversationId: 'v1', customerId: 'c1', direction: 'inbound', status: 'completed', outcome: 'answered', durationSeconds: 30,
      recordingUrl: null, transcript: null, notes: null, agentId: 'u1', externalId: null, startedAt: 13, updatedAt: 14,
    }
    const event: TimelineEvent = { id: 'e1', conversationId: 'v1', customerId: 'c1', type: 'assigned', actorId: 'u1', data: { to: 'u1' }, createdAt: 15 }
    upsertServerEntity(db, 'call', call)
    upsertServerEntity(db, 'event', event)
    expect(listConversationItems(db, 'v1').messages).toEqual([m1, message('m2', v1, 11)])
    expect(dumpEntities(db, 'note').get('n1')?.current).toEqual(note('n1', v1, 12))
    // The timeline reads its rows with their time and a kind of its own.
    const timeline = listTimeline(db, { customerId: 'c1', limit: 10 }).map((row) => entityFromRow(row.kind, row))
    expect(timeline).toEqual([event, call, note('n1', v1, 12), message('m2', v1, 11), m1])
  })

  it('leaves out what the columns hold: a time, a name, and the status, assignee, inbox and the rest of a conversation', () => {
    upsertServerEntity(db, 'conversation', { ...v1, assigneeId: 'u1', team: 'Billing' })
    upsertServerEntity(db, 'customer', customer('c1'))
    upsertServerEntity(db, 'message', m1)
    const stored = (table: string) => JSON.parse(db.prepare(`SELECT json FROM ${table}`).pluck().get() as string) as Record<string, unknown>
    for (const field of ['status', 'assigneeId', 'lastMessageAt', 'channel', 'inbox', 'team', 'subject']) expect(stored('conversations')).not.toHaveProperty(field)
    for (const field of ['name', 'lastActivityAt']) expect(stored('customers')).not.toHaveProperty(field)
    expect(stored('messages')).not.toHaveProperty('sentAt')
    expect(getEntity(db, 'conversation', 'v1')?.current).toEqual({ ...v1, assigneeId: 'u1', team: 'Billing' })
    // A message's last update, when it is the time it was sent; kept when it is not.
    expect(stored('messages')).not.toHaveProperty('updatedAt')
    const delivered = { ...m1, deliveryStatus: 'delivered' as const, updatedAt: m1.sentAt + 5 }
    upsertServerEntity(db, 'message', delivered)
    expect(stored('messages')).toHaveProperty('updatedAt', m1.sentAt + 5)
    expect(getEntity(db, 'message', 'm1')?.current).toEqual(delivered)
  })

  it('leaves out the ids its columns hold and the empty fields the schema requires, nothing nested, nothing optional', () => {
    const stored = JSON.parse(packEntity('message', { ...m1, htmlOmitted: null }) as string) as Record<string, unknown>
    for (const field of ['id', 'conversationId', 'customerId', 'html', 'authorId', 'deliveryError']) expect(stored).not.toHaveProperty(field)
    expect(stored.attachments).toEqual([{ name: 'label.pdf', contentType: 'application/pdf', size: 10, url: null }])
    expect(stored.htmlOmitted).toBeNull()
    expect(JSON.parse(packEntity('conversation', v1) as string)).not.toHaveProperty('labels')
    // An optional field that was missing comes back missing, not as null.
    const { htmlOmitted: _, ...withoutOptional } = m1
    upsertServerEntity(db, 'message', withoutOptional as typeof m1)
    expect(getEntity(db, 'message', 'm1')?.current).not.toHaveProperty('htmlOmitted')
  })

  it('keeps the server copy whole while a local change moves a row to another conversation', () => {
    upsertServerEntity(db, 'message', m1)
    const moved = { ...m1, conversationId: 'v2' }
    writeLocalEntity(db, 'message', moved)
    expect(getEntity(db, 'message', 'm1')).toEqual({ current: moved, server: m1 })
  })

  it('a local change to a conversation writes the columns that change, and keeps the server copy through a second change', () => {
    upsertServerEntity(db, 'conversation', v1)
    const columns = () => db.prepare('SELECT status, priority, assignee_id, subject, last_message_at FROM conversations WHERE id = ?').get('v1')
    const before = columns() as Record<string, unknown>
    // A trigger on columns fires when an UPDATE sets them, equal or not, as their indexes are rewritten then.
    db.exec(`CREATE TEMP TABLE columns_set (n INTEGER);
      CREATE TEMP TRIGGER unchanged_columns_set AFTER UPDATE OF customer_id, subject, last_message_at, inbox, team ON main.conversations
      BEGIN INSERT INTO columns_set VALUES (1); END`)
    const urgent = { ...v1, priority: 'urgent' as const }
    writeLocalEntity(db, 'conversation', urgent)
    expect(db.prepare('SELECT count(*) AS n FROM columns_set').get()).toEqual({ n: 0 })
    const pending = { ...urgent, status: 'pending' as const, assigneeId: 'u9' }
    writeLocalEntity(db, 'conversation', pending)
    expect(getEntity(db, 'conversation', 'v1')).toEqual({ current: pending, server: v1 })
    upsertServerEntity(db, 'conversation', v1)
    writeLocalEntity(db, 'conversation', pending)
    const after = columns() as Record<string, unknown>
    expect(after).toMatchObject({ status: 'pending', assignee_id: 'u9', subject: before.subject, last_message_at: before.last_message_at })
    expect(after.priority).not.toBe(before.priority)
    expect(db.prepare(`SELECT count(*) AS n FROM conversations WHERE status = 'pending' AND assignee_id = 'u9'`).get()).toEqual({ n: 1 })
  })

  it('reads rows written whole by an earlier version as they are', () => {
    db.prepare(`INSERT INTO messages (id, conversation_id, customer_id, at, json, server_json) VALUES ('m1', 'v1', 'c1', 10, ?, NULL)`).run(JSON.stringify(m1))
    expect(getEntity(db, 'message', 'm1')?.current).toEqual(m1)
    expect(listTimeline(db, { customerId: 'c1', limit: 10 }).map((r) => r.id)).toEqual(['m1'])
  })

  it('keeps a summary deflated, reads it back whole, and keeps the server copy through a story written on this device', () => {
    const story: Summary = {
      id: 'story-c1', kind: 'customer_story', customerId: 'c1', conversationId: null, callId: null,
      text: 'Asked: where is my parcel? Done or promised: we ship in 3 days. Still open: where is my parcel?',
      facts: [
        { kind: 'request', text: 'Where is my parcel?', sourceIds: ['m1'] },
        { kind: 'open_question', text: 'Where is my parcel?', sourceIds: ['m1'] },
        { kind: 'promise', text: 'We ship in 3 days.', sourceIds: ['m2'] },
      ],
      provider: 'embedded', model: null, fallbackReason: null, coversItemId: 'm2', coversThrough: 20, itemCount: 2,
      inboxes: ['Support email'], generatedAt: 30,
    }
    expect(ENTITY_SCHEMAS.summary.safeParse(story).success).toBe(true)
    upsertServerEntity(db, 'summary', story)
    const stored = db.prepare('SELECT json FROM summaries WHERE id = ?').pluck().get(story.id)
    expect(stored).toBeInstanceOf(Buffer)
    expect((stored as Buffer).length).toBeLessThan(JSON.stringify(story).length / 2)
    expect(getEntity(db, 'summary', story.id)).toEqual({ current: story, server: story })
    // A wrap-up is in the timeline, read through the same rows as the other items.
    const wrapUp: Summary = { ...story, id: 'wrap-v1', kind: 'wrap_up', conversationId: 'v1' }
    upsertServerEntity(db, 'summary', wrapUp)
    expect(listTimeline(db, { customerId: 'c1', limit: 10 }).map((r) => entityFromRow(r.kind, r))).toEqual([wrapUp])

    const onDevice = { ...story, text: 'Asked: where is my parcel?', generatedAt: 40, updatedOnDevice: true }
    writeLocalEntity(db, 'summary', onDevice)
    expect(getEntity(db, 'summary', story.id)).toEqual({ current: onDevice, server: story })
    writeLocalEntity(db, 'summary', { ...onDevice, generatedAt: 50 })
    expect(getEntity(db, 'summary', story.id)?.server).toEqual(story)
    restoreServerEntity(db, 'summary', story.id)
    expect(dumpEntities(db, 'summary').get(story.id)).toEqual({ current: story, server: story })
  })

  it('an optimistic reply reads back whole from the outbox path too', () => {
    upsertServerEntity(db, 'conversation', v1)
    enqueueAction(db, { name: 'reply', args: { messageId: 'r1', conversationId: 'v1', text: 'On its way' }, conversationId: 'v1', itemId: 'r1' })
    const reply = getEntity(db, 'message', 'r1')
    expect(reply?.server).toBeNull()
    expect(reply?.current).toMatchObject({ id: 'r1', conversationId: 'v1', customerId: 'c1', text: 'On its way', html: null, attachments: [] })
  })
})
