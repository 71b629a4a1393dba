import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { storeEngines } from '../../../tests/support/store-engines'
import { connectorActor, integrationActor, systemActor, userActor } from '../../shared/actors'
import type {
  Call,
  Conversation,
  Customer,
  EntityName,
  EntityTypes,
  Identity,
  IdentityKind,
  Message,
  Note,
  Summary,
  TimelineEvent,
  User,
} from '../../shared/domain'
import type { ReportingEvent } from '../../shared/reporting/events'
import type { IntegrationInfo } from '../../shared/tokens'
import type { Change } from '../../shared/sync'
import type { CustomerMerge, CustomerSuggestion, HeldEntity, Store, StoreWriter, StoredChange, TimelineEntry } from './store'
import { InvalidCursorError } from './errors'
import type { AuditEntry } from '../../shared/audit'

/**
 * The store's contract, run unchanged against every engine: SQLite (the reference) and
 * PostgreSQL. What the SQLite store does here is what the others must do; a test that passes on
 * SQLite and fails on another engine is a bug in that engine's store. Engine-specific checks (the
 * SQLite file, its migrations, its busy timeout) live beside each store.
 */

const ACTOR = systemActor('test')
/** A realistic epoch-millisecond time: more than 32 bits. */
const T = 1_767_000_000_000

const customer = (id: string, over: Partial<Customer> = {}): Customer => ({
  id,
  name: id,
  labels: [],
  attributes: {},
  consent: {},
  createdAt: 1,
  updatedAt: 1,
  lastActivityAt: 1,
  ...over,
})

const identity = (id: string, customerId: string, kind: IdentityKind, address: string, over: Partial<Identity> = {}): Identity => ({
  id,
  customerId,
  kind,
  address,
  displayName: null,
  createdAt: 1,
  ...over,
})

const conversation = (id: string, customerId: string, inbox: string, over: Partial<Conversation> = {}): Conversation => ({
  id,
  customerId,
  channel: 'email',
  inbox,
  subject: null,
  status: 'open',
  snoozedUntil: null,
  assigneeId: null,
  team: null,
  threadKey: `thread-${id}`,
  labels: [],
  priority: 'normal',
  previousConversationId: null,
  lastMessageAt: 1,
  waitingSince: null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
})

const message = (id: string, conv: Conversation, over: Partial<Message> = {}): Message => ({
  id,
  conversationId: conv.id,
  customerId: conv.customerId,
  channel: conv.channel,
  direction: 'inbound',
  authorId: null,
  authorName: 'Customer',
  subject: null,
  text: `text of ${id}`,
  html: null,
  attachments: [],
  externalId: null,
  deliveryStatus: 'received',
  deliveryError: null,
  sentAt: 1,
  updatedAt: 1,
  ...over,
})

const note = (id: string, conv: Conversation, over: Partial<Note> = {}): Note => ({
  id,
  conversationId: conv.id,
  customerId: conv.customerId,
  authorId: 'u1',
  authorName: 'Agent',
  text: `note ${id}`,
  mentions: [],
  createdAt: 1,
  ...over,
})

const call = (id: string, conv: Conversation, over: Partial<Call> = {}): Call => ({
  id,
  conversationId: conv.id,
  customerId: conv.customerId,
  direction: 'inbound',
  status: 'completed',
  outcome: 'answered',
  durationSeconds: 30,
  recordingUrl: null,
  transcript: null,
  notes: null,
  agentId: null,
  externalId: null,
  startedAt: 1,
  updatedAt: 1,
  ...over,
})

const event = (id: string, conv: Conversation, over: Partial<TimelineEvent> = {}): TimelineEvent => ({
  id,
  conversationId: conv.id,
  customerId: conv.customerId,
  type: 'status_changed',
  actorId: null,
  data: {},
  createdAt: 1,
  ...over,
})

const user = (id: string, over: Partial<User> = {}): User => ({
  id,
  name: id,
  email: `${id}@team.test`,
  role: 'agent',
  team: null,
  inboxes: null,
  createdAt: 1,
  ...over,
})

type Entity = { [E in EntityName]: [E, EntityTypes[E]] }[EntityName]

/** Puts each entity, in order, in one write. */
async function seed(store: Store, ...entities: Entity[]): Promise<StoredChange[]> {
  const { changes } = await store.write(async (w) => {
    for (const [entity, data] of entities) await w.put(entity as 'customer', data as Customer)
  }, ACTOR)
  return changes
}

/** Lets other work run while a write's callback is still going, as a slow callback would. */
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 20))

/** A cursor that decodes but is not one the store made. */
const foreignCursor = Buffer.from(JSON.stringify(['x', 1])).toString('base64url')

const ids = (items: readonly { id: string }[]): string[] => items.map((i) => i.id)
const entryIds = (entries: readonly TimelineEntry[]): string[] => entries.map((e) => e.item.id)

describe.each(storeEngines().map((engine) => [engine.name, engine] as const))('%s store', (_name, engine) => {
  let store: Store

  beforeAll(() => engine.setup(), 60_000)
  afterAll(() => engine.teardown(), 60_000)
  beforeEach(async () => {
    await engine.fresh()
    store = await engine.open()
  })
  afterEach(() => engine.cleanUp())

  describe('writes', () => {
    it('writes an entity and its change row in one transaction, or neither', async () => {
      const { changes } = await store.write((w) => w.put('customer', customer('c1')), ACTOR)
      expect(changes).toEqual([{ seq: 1, entity: 'customer', id: 'c1', op: 'upsert', data: customer('c1'), inbox: null, customerId: 'c1', audience: null, covers: null }])
      await expect(
        store.write(async (w) => {
          await w.put('customer', customer('c2'))
          throw new Error('boom')
        }, ACTOR),
      ).rejects.toThrow('boom')
      expect(await store.getCustomer('c2')).toBeNull()
      expect(await store.lastSeq()).toBe(1)
    })

    it('refuses an entity that does not match its shared schema', async () => {
      await expect(store.write((w) => w.put('customer', { ...customer('c1'), name: 42 as unknown as string }), ACTOR)).rejects.toThrow()
      expect((await store.counts()).customers).toBe(0)
      expect(await store.lastSeq()).toBe(0)
    })

    it('refuses an item of a conversation it does not have, and writes nothing of that write', async () => {
      const conv = conversation('missing', 'c1', 'A')
      await expect(
        store.write(async (w) => {
          await w.put('customer', customer('c1'))
          await w.put('message', message('m1', conv))
        }, ACTOR),
      ).rejects.toThrow()
      expect(await store.getCustomer('c1')).toBeNull()
      expect(await store.getMessage('m1')).toBeNull()
      expect(await store.lastSeq()).toBe(0)
    })

    it('refuses what breaks a uniqueness or reference rule, and keeps nothing of that write', async () => {
      const conv = conversation('conv1', 'c1', 'A')
      await seed(
        store,
        ['user', user('u1', { email: 'ann@team.test' })],
        ['customer', customer('c1')],
        ['identity', identity('i1', 'c1', 'email', 'c1@x.test')],
        ['conversation', conv],
        ['message', message('m1', conv, { externalId: 'ext-1' })],
      )
      await store.write((w) => w.insertToken({ id: 't1', tokenHash: 'h1', userId: 'u1', label: null, createdAt: T }))
      const before = await store.counts()
      const refused: [string, (w: StoreWriter) => Promise<unknown>][] = [
        ['an address another identity has', (w) => w.put('identity', identity('i2', 'c1', 'email', 'c1@x.test'))],
        ['an external id another message of the channel has', (w) => w.put('message', message('m2', conv, { externalId: 'ext-1' }))],
        ['an email another user has', (w) => w.put('user', user('u2', { email: 'ann@team.test' }))],
        ['a conversation of no customer', (w) => w.put('conversation', conversation('conv2', 'nobody', 'A'))],
        ['an identity of no customer', (w) => w.put('identity', identity('i3', 'nobody', 'email', 'x@x.test'))],
        ['a token of no user', (w) => w.insertToken({ id: 't2', tokenHash: 'h2', userId: 'nobody', label: null, createdAt: T })],
        ['a token hash already issued', (w) => w.insertToken({ id: 't3', tokenHash: 'h1', userId: 'u1', label: null, createdAt: T })],
      ]
      for (const [what, run] of refused) {
        await expect(
          store.write(async (w) => {
            await w.put('customer', customer('c-new'))
            await run(w)
          }, ACTOR),
          what,
        ).rejects.toThrow()
      }
      expect(await store.counts()).toEqual(before)
      expect(await store.getCustomer('c-new')).toBeNull()
      expect(ids(await store.listApiTokens(null))).toEqual(['t1'])
      // Messages with no external id never collide.
      await seed(store, ['message', message('m3', conv)], ['message', message('m4', conv)])
    })

    it('lets a write read its own rows, uncommitted, through the writer', async () => {
      await seed(store, ['customer', customer('c0')])
      const seen = await store.write(async (w) => {
        const conv = conversation('conv1', 'c1', 'A', { lastMessageAt: T })
        await w.put('customer', customer('c1', { name: 'Fresh Person', lastActivityAt: T }))
        await w.put('identity', identity('i1', 'c1', 'email', 'fresh@x.test'))
        await w.put('conversation', conv)
        await w.putThread({ channel: 'email', threadKey: 'thread-conv1', conversationId: conv.id, inbox: 'A', lastAt: T })
        await w.put('message', message('m1', conv, { externalId: 'ext-1' }))
        await w.setConnectorState('imap', 'inbox', { uid: 3 })
        await w.addDeadLetter('inbound', 'A', {}, 'failed', 1)
        return {
          search: ids(await w.searchCustomers({ query: 'fresh', scope: ['A'], limit: 10, offset: 0 })),
          identity: (await w.findIdentity('email', 'fresh@x.test'))?.id,
          conversations: ids((await w.listConversations({ scope: ['A'], limit: 10 })).items),
          latest: (await w.latestUnresolvedConversation('c1'))?.id,
          thread: (await w.conversationByThreadKey('email', 'thread-conv1'))?.id,
          message: (await w.messageByExternalId('email', 'ext-1'))?.id,
          timeline: entryIds((await w.timeline('c1', ['A'], 10)).items),
          changes: ids((await w.changesAfter(0, 10, ['A'])).changes),
          lastSeq: await w.lastSeq(),
          counts: await w.counts(),
          state: await w.getConnectorState('imap', 'inbox'),
          letters: (await w.deadLetters(['A'], 10)).length,
          visible: await w.customerVisible('c1', ['A']),
        }
      }, ACTOR)
      expect(seen.result).toEqual({
        search: ['c1'],
        identity: 'i1',
        conversations: ['conv1'],
        latest: 'conv1',
        thread: 'conv1',
        message: 'm1',
        timeline: ['m1'],
        changes: ['c1', 'i1', 'conv1', 'm1'],
        lastSeq: 5,
        counts: { customers: 2, conversations: 1, messages: 1, lastSeq: 5 },
        state: { uid: 3 },
        letters: 1,
        visible: true,
      })
    })

    it('replaces an entity put again, and logs each put', async () => {
      await seed(store, ['customer', customer('c1', { name: 'Old' })])
      const changes = await seed(store, ['customer', customer('c1', { name: 'New', labels: ['vip'] })])
      expect(changes.map((c) => [c.seq, c.id, (c.data as Customer).name])).toEqual([[2, 'c1', 'New']])
      expect(await store.getCustomer('c1')).toMatchObject({ name: 'New', labels: ['vip'] })
      expect((await store.counts()).customers).toBe(1)
      expect((await store.changesAfter(0, 10, null)).changes.map((c) => [c.seq, (c.data as Customer).name])).toEqual([
        [1, 'Old'],
        [2, 'New'],
      ])
    })

    it('records who made each change, and refuses a change nobody can be named for', async () => {
      await store.write((w) => w.put('customer', customer('c1')), ACTOR)
      await store.writeEach([
        { actor: integrationActor('zap'), run: (w) => w.put('customer', customer('c2')) },
        { actor: connectorActor('twilio-sms:SMS'), run: (w) => w.put('customer', customer('c3')) },
      ])
      await expect(store.write((w) => w.put('customer', customer('c4')))).rejects.toThrow(/without an actor/)
      expect(await store.getCustomer('c4')).toBeNull()
      expect(await engine.query('SELECT entity_id, actor FROM changes ORDER BY seq')).toEqual([
        { entity_id: 'c1', actor: ACTOR },
        { entity_id: 'c2', actor: 'integration:zap' },
        { entity_id: 'c3', actor: 'connector:twilio-sms:SMS' },
      ])
    })

    it('lets a write without an actor change rows outside the change log', async () => {
      await store.write(async (w) => {
        await w.setConnectorState('imap', 'inbox', { uid: 1 })
        await w.addDeadLetter('inbound', null, {}, 'failed', 1)
        await w.setLastMutationId('client-1', 'u1', 3)
      })
      expect(await store.getConnectorState('imap', 'inbox')).toEqual({ uid: 1 })
      expect(await store.deadLetters(null, 10)).toHaveLength(1)
      expect(await store.lastMutationId('client-1')).toBe(3)
      expect(await store.lastSeq()).toBe(0)
    })

    it('runs two writes started at once one after the other, both committed, their change seqs in call order', async () => {
      const log: string[] = []
      const first = store.write(async (w) => {
        log.push('first begins')
        await pause()
        const change = await w.put('customer', customer('c1'))
        log.push('first ends')
        return change.seq
      }, ACTOR)
      const second = store.write(async (w) => {
        log.push('second begins')
        const change = await w.put('customer', customer('c2'))
        log.push('second ends')
        return change.seq
      }, ACTOR)
      const [a, b] = await Promise.all([first, second])
      // The second did not start while the first was paused.
      expect(log).toEqual(['first begins', 'first ends', 'second begins', 'second ends'])
      expect(a.changes.map((c) => [c.id, c.seq])).toEqual([['c1', a.result]])
      expect(b.changes.map((c) => [c.id, c.seq])).toEqual([['c2', b.result]])
      expect(a.result).toBeLessThan(b.result)
      expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c1', 'c2'])
      expect(await store.getCustomer('c1')).not.toBeNull()
      expect(await store.getCustomer('c2')).not.toBeNull()
    })

    it('shows a read through the store only what is committed, while the write sees its own rows', async () => {
      let putDone!: () => void
      const put = new Promise<void>((r) => (putDone = r))
      let release!: () => void
      const released = new Promise<void>((r) => (release = r))
      let seenInside: unknown = null
      const writing = store.write(async (w) => {
        await w.put('customer', customer('c1'))
        seenInside = await w.getCustomer('c1')
        putDone()
        // The write stays open while the test reads through the store.
        await released
      }, ACTOR)
      await put
      expect(seenInside).toMatchObject(customer('c1'))
      expect(await store.getCustomer('c1')).toBeNull()
      expect(await store.lastSeq()).toBe(0)
      expect((await store.counts()).customers).toBe(0)
      expect(await store.changesAfter(0, 10, null)).toEqual({ changes: [], cursor: 0, hasMore: false })
      release()
      await writing
      expect(await store.getCustomer('c1')).toMatchObject(customer('c1'))
      expect(await store.lastSeq()).toBe(1)
    })

    it('leaves nothing behind when a write’s callback throws, and the next write works', async () => {
      await expect(
        store.write(async (w) => {
          await w.put('customer', customer('c1'))
          await w.addDeadLetter('inbound', 'sms-main', { externalId: 'x' }, 'failed', 1)
          await w.setConnectorState('imap', 'inbox', { uid: 7 })
          await pause()
          throw new Error('boom')
        }, ACTOR),
      ).rejects.toThrow('boom')
      expect(await store.getCustomer('c1')).toBeNull()
      expect(await store.lastSeq()).toBe(0)
      expect(await store.deadLetters(null, 10)).toEqual([])
      expect(await store.getConnectorState('imap', 'inbox')).toBeNull()

      const { changes } = await store.write((w) => w.put('customer', customer('c2')), ACTOR)
      expect(changes.map((c) => c.id)).toEqual(['c2'])
      expect(await store.getCustomer('c2')).toMatchObject(customer('c2'))
      expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c2'])
    })

    it('rolls back a writeEach run that throws alone, and commits the others', async () => {
      const boom = new Error('boom')
      const { outcomes, changes } = await store.writeEach<string>([
        { actor: ACTOR, run: async (w) => (await w.put('customer', customer('c1'))).id },
        {
          actor: ACTOR,
          run: async (w) => {
            await w.put('customer', customer('c2'))
            await w.addDeadLetter('inbound', null, {}, 'failed', 1)
            await pause()
            throw boom
          },
        },
        { actor: integrationActor('zap'), run: async (w) => (await w.put('customer', customer('c3'))).id },
      ])
      expect(outcomes).toEqual([
        { ok: true, result: 'c1' },
        { ok: false, error: boom },
        { ok: true, result: 'c3' },
      ])
      expect(changes.map((c) => c.id)).toEqual(['c1', 'c3'])
      expect(changes[0]!.seq).toBeLessThan(changes[1]!.seq)
      expect(await store.getCustomer('c1')).not.toBeNull()
      expect(await store.getCustomer('c2')).toBeNull()
      expect(await store.getCustomer('c3')).not.toBeNull()
      expect(await store.deadLetters(null, 10)).toEqual([])
      expect((await store.changesAfter(0, 10, null)).changes.map((c) => c.id)).toEqual(['c1', 'c3'])
      expect(await store.lastSeq()).toBe(changes[1]!.seq)
    })

    it('routes a writeEach run’s changes by where the conversation is stored, not where a rolled-back run moved it', async () => {
      const conv = conversation('conv1', 'c1', 'A')
      await seed(store, ['customer', customer('c1')], ['conversation', conv])
      const { outcomes, changes } = await store.writeEach([
        {
          actor: ACTOR,
          run: async (w) => {
            await w.put('conversation', { ...conv, inbox: 'B' })
            throw new Error('moved, then failed')
          },
        },
        { actor: ACTOR, run: async (w) => (await w.put('message', message('m1', conv))).id },
      ])
      expect(outcomes.map((o) => o.ok)).toEqual([false, true])
      expect(changes.map((c) => [c.id, c.inbox])).toEqual([['m1', 'A']])
      expect((await store.changesAfter(0, 10, ['B'])).changes.map((c) => c.id)).not.toContain('m1')
      expect((await store.changesAfter(0, 10, ['A'])).changes.map((c) => c.id)).toContain('m1')
    })

    it('numbers changes with no gap where a write or a writeEach run was rolled back', async () => {
      const putThenFail = (id: string) => async (w: StoreWriter): Promise<StoredChange> => {
        await w.put('customer', customer(id))
        throw new Error('no')
      }
      await seed(store, ['customer', customer('c1')])
      await expect(store.write(putThenFail('x1'), ACTOR)).rejects.toThrow('no')
      await store.writeEach([
        { actor: ACTOR, run: putThenFail('x2') },
        { actor: ACTOR, run: (w) => w.put('customer', customer('c2')) },
      ])
      await seed(store, ['customer', customer('c3')])
      expect((await store.changesAfter(0, 10, null)).changes.map((c) => [c.seq, c.id])).toEqual([
        [1, 'c1'],
        [2, 'c2'],
        [3, 'c3'],
      ])
    })

    it('returns the result of a write that changes nothing in the log, with no changes', async () => {
      await seed(store, ['customer', customer('c1')])
      const { result, changes } = await store.write(async (w) => (await w.getCustomer('c1'))?.name, ACTOR)
      expect(result).toBe('c1')
      expect(changes).toEqual([])
      const each = await store.writeEach<number>([])
      expect(each).toEqual({ outcomes: [], changes: [] })
    })

    it('tells its commit listener each transaction’s changes in commit order, before the next write begins', async () => {
      const log: string[] = []
      const heard: StoredChange[][] = []
      store.onCommit((changes) => {
        heard.push(changes)
        log.push(`heard ${changes.map((c) => c.id).join(' ')}`)
      })
      const put = (id: string) => async (w: StoreWriter) => {
        log.push(`begin ${id}`)
        await pause()
        return w.put('customer', customer(id))
      }
      const results = await Promise.allSettled([
        store.write(put('c1'), ACTOR),
        store.write(async (w) => {
          await put('x')(w)
          throw new Error('never committed')
        }, ACTOR),
        store.write(put('c2'), ACTOR),
        store.writeEach([
          { actor: ACTOR, run: put('c3') },
          { actor: ACTOR, run: put('c4') },
        ]),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
      expect(heard.map((changes) => changes.map((c) => c.id))).toEqual([['c1'], ['c2'], ['c3', 'c4']])
      const seqs = heard.flat().map((c) => c.seq)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      expect(log).toEqual(['begin c1', 'heard c1', 'begin x', 'begin c2', 'heard c2', 'begin c3', 'begin c4', 'heard c3 c4'])
    })

    it('lets the writes already queued finish before it closes', async () => {
      const writing = store.write(async (w) => {
        await pause()
        return w.put('customer', customer('c1'))
      }, ACTOR)
      await store.close()
      await expect(writing).resolves.toMatchObject({ changes: [{ id: 'c1' }] })
      store = await engine.open()
      expect(await store.getCustomer('c1')).toMatchObject(customer('c1'))
    })
  })

  describe('entities', () => {
    it('reads back every kind of entity exactly as written, every optional field set', async () => {
      const u = user('u1', {
        name: 'Ann “Q” O’Neil',
        email: 'ann@team.test',
        role: 'admin',
        team: 'Support',
        inboxes: ['A', 'B'],
        createdAt: T,
        deactivatedAt: T + 9,
      })
      const c = customer('c1', {
        name: 'Zoë \'Q\' "Smith" \\ 😀',
        labels: ['vip', 'b2b'],
        attributes: { plan: 'gold', seats: 12, ratio: 0.25, big: 2 ** 53 - 1, active: true, none: null },
        consent: { promotional: false, sms: true, transactional: true },
        consentChangedAt: { promotional: T + 5, sms: T + 6 },
        createdAt: T,
        updatedAt: T + 1,
        lastActivityAt: T + 2,
        mergedInto: 'c-other',
      })
      const i = identity('i1', 'c1', 'chat', 'visitor-1', { displayName: 'Zoë', createdAt: T, unverified: 'typed_in_chat' })
      const conv = conversation('conv1', 'c1', 'Support inbox', {
        channel: 'whatsapp',
        subject: 'Ünïcödé subject',
        status: 'snoozed',
        snoozedUntil: T + 100,
        assigneeId: 'u1',
        team: 'Support',
        threadKey: 'wa:+15550001',
        labels: ['urgent'],
        lastMessageAt: T + 3,
        waitingSince: T + 2,
        createdAt: T,
        updatedAt: T + 4,
        sla: {
          policy: 'Standard',
          replied: true,
          firstResponse: { startedAt: T, dueAt: T + 10, state: 'achieved', remainingMs: null },
          nextResponse: { startedAt: T + 2, dueAt: null, state: 'paused', remainingMs: 600_000 },
          resolution: { startedAt: T, dueAt: T + 50, state: 'breached', remainingMs: null },
        },
      })
      const m = message('m1', conv, {
        direction: 'outbound',
        authorId: 'u1',
        authorName: 'Ann',
        subject: 'Re: hi',
        text: 'line 1\nline 2\ttab "quoted" \'single\' \\back',
        html: '<p>line 1</p>',
        htmlOmitted: 'too_large',
        unverifiedSender: 'failed_dmarc',
        attachments: [
          { name: 'a.pdf', contentType: 'application/pdf', size: 12345, url: 'https://files.test/a.pdf' },
          { name: 'b.bin', contentType: 'application/octet-stream', size: 99_000_000, url: null, note: 'too large to keep' },
        ],
        externalId: 'wamid.1',
        deliveryStatus: 'failed',
        deliveryError: 'rejected by provider',
        sentAt: T + 3,
        updatedAt: T + 5,
        purpose: 'promotional',
        template: { name: 'order_update', language: 'en_US', parameters: ['1', 'two'] },
        cc: ['x@y.test', 'z@y.test'],
      })
      const n = note('n1', conv, { authorId: 'u1', authorName: 'Ann', text: 'internal\nnote', createdAt: T + 6 })
      const k = call('k1', conv, {
        direction: 'outbound',
        status: 'in-progress',
        outcome: 'voicemail',
        durationSeconds: 3600,
        recordingUrl: 'https://rec.test/1',
        transcript: 'hello',
        notes: 'call notes',
        agentId: 'u1',
        externalId: 'CA123',
        startedAt: T + 7,
        updatedAt: T + 8,
      })
      const e = event('e1', conv, {
        type: 'identity_suggested',
        actorId: 'u1',
        data: { suggestionId: 's1', nested: { list: [1, 'two', null, { deep: true }], empty: {} }, text: 'ü 😀' },
        createdAt: T + 9,
      })
      await seed(store, ['user', u], ['customer', c], ['identity', i], ['conversation', conv], ['message', m], ['note', n], ['call', k], ['event', e])
      expect(await store.getUser('u1')).toEqual(u)
      expect(await store.getCustomer('c1')).toEqual(c)
      expect(await store.getIdentity('i1')).toEqual(i)
      expect(await store.getConversation('conv1')).toEqual(conv)
      expect(await store.getMessage('m1')).toEqual(m)
      expect(await store.getNote('n1')).toEqual(n)
      expect(await store.getCall('k1')).toEqual(k)
      expect(await store.conversationItems('conv1')).toEqual({ messages: [m], notes: [n], calls: [k], events: [e] })
      // The change log carries the same entities.
      const logged = (await store.changesAfter(0, 100, null)).changes
      expect(logged.map((ch) => ch.data)).toEqual([u, c, i, conv, m, n, k, e])
    })

    it('reads an optional field left out as null, and a null-able one as null', async () => {
      const u = user('u1')
      const c = customer('c1')
      const i = identity('i1', 'c1', 'email', 'c1@x.test')
      const conv = conversation('conv1', 'c1', 'A')
      const m = message('m1', conv)
      await seed(store, ['user', u], ['customer', c], ['identity', i], ['conversation', conv], ['message', m])
      expect(await store.getUser('u1')).toEqual({ ...u, deactivatedAt: null })
      expect(await store.getCustomer('c1')).toEqual({ ...c, consentChangedAt: null, mergedInto: null })
      expect(await store.getIdentity('i1')).toEqual({ ...i, unverified: null })
      expect(await store.getConversation('conv1')).toEqual({ ...conv, sla: null })
      expect(await store.getMessage('m1')).toEqual({ ...m, htmlOmitted: null, unverifiedSender: null, purpose: null, template: null, cc: null })
    })

    it('keeps text with a NUL character or U+FFFF, in plain and in JSON fields, and finds it', async () => {
      // U+FFFF, alone or followed by 0 or 1, stands for itself too, whatever an engine uses it for.
      const odd = 'nul \u0000 ffff \uffff then \uffff0 and \uffff1 end'
      const conv = conversation('conv1', 'c1', 'A')
      const m = message('m1', conv, {
        text: `before ${odd} after`,
        externalId: `ext ${odd}`,
        attachments: [{ name: `file ${odd}`, contentType: 'text/plain', size: 1, url: null }],
      })
      const e = event('e1', conv, { data: { text: odd, [`key ${odd}`]: [odd, { deep: odd }] } })
      const c = customer('c1', { name: `name ${odd}`, attributes: { [`attr ${odd}`]: odd } })
      const i = identity('i1', 'c1', 'chat', `visitor ${odd}`)
      await seed(store, ['customer', c], ['identity', i], ['conversation', conv], ['message', m], ['event', e])
      expect(await store.getMessage('m1')).toMatchObject({ text: m.text, externalId: m.externalId, attachments: m.attachments })
      expect(await store.getCustomer('c1')).toMatchObject({ name: c.name, attributes: c.attributes })
      expect((await store.conversationItems('conv1')).events).toEqual([e])
      expect((await store.changesAfter(0, 10, null)).changes.map((ch) => ch.data)).toEqual([c, i, conv, m, e])
      expect((await store.findIdentity('chat', `visitor ${odd}`))?.id).toBe('i1')
      expect((await store.messageByExternalId('email', `ext ${odd}`))?.id).toBe('m1')
      expect((await store.conversationByMessageExternalId('email', [`ext ${odd}`]))?.id).toBe('conv1')
      expect(ids(await store.searchCustomers({ query: 'nul \u0000 ffff', scope: null, limit: 10, offset: 0 }))).toEqual(['c1'])
      expect(ids(await store.searchCustomers({ query: 'name nul', scope: null, limit: 10, offset: 0 }))).toEqual(['c1'])
      await store.write((w) => w.setConnectorState(`imap ${odd}`, odd, { odd }))
      expect(await store.getConnectorState(`imap ${odd}`, odd)).toEqual({ odd })
      const { result: letter } = await store.write((w) => w.addDeadLetter('inbound', 'A', { odd }, `error ${odd}`, 1))
      expect((await store.deadLetters(null, 10)).find((l) => l.id === letter)).toMatchObject({ payload: { odd }, error: `error ${odd}` })
    })

    it('finds the conversations whose running SLA clock is due, soonest first, by the clocks written last', async () => {
      const clock = (dueAt: number, state: 'active' | 'breached' | 'paused' = 'active') => ({
        startedAt: T,
        dueAt: state === 'paused' ? null : dueAt,
        state,
        remainingMs: state === 'paused' ? 1000 : null,
      })
      const sla = (firstResponse: ReturnType<typeof clock> | null, resolution: ReturnType<typeof clock> | null) => ({
        policy: 'P',
        replied: false,
        firstResponse,
        nextResponse: null,
        resolution,
      })
      const late = conversation('late', 'c1', 'A', { sla: sla(clock(T + 20), clock(T + 90)) })
      const soon = conversation('soon', 'c1', 'A', { sla: sla(clock(T + 30, 'breached'), clock(T + 10)) })
      const paused = conversation('paused', 'c1', 'A', { sla: sla(clock(0, 'paused'), null) })
      const none = conversation('none', 'c1', 'A')
      await seed(store, ['customer', customer('c1')], ['conversation', late], ['conversation', soon], ['conversation', paused], ['conversation', none])
      expect(ids(await store.slaDueConversations(T + 15, 10))).toEqual(['soon'])
      expect(ids(await store.slaDueConversations(T + 100, 10))).toEqual(['soon', 'late'])
      expect(ids(await store.slaDueConversations(T + 100, 1))).toEqual(['soon'])
      // Its clock achieved: the conversation leaves the scan.
      await seed(store, ['conversation', { ...late, sla: sla(null, null) }])
      expect(ids(await store.slaDueConversations(T + 100, 10))).toEqual(['soon'])
    })

    it('keeps two messages of one channel with no external id', async () => {
      await seed(store, ['customer', customer('c1')], ['conversation', conversation('conv1', 'c1', 'A')])
      const conv = (await store.getConversation('conv1'))!
      await seed(store, ['message', message('m1', conv)], ['message', message('m2', conv)])
      expect((await store.counts()).messages).toBe(2)
    })

    it('answers null for what it does not have', async () => {
      expect(await store.getUser('nope')).toBeNull()
      expect(await store.getUserByEmail('nope@x.test')).toBeNull()
      expect(await store.getCustomer('nope')).toBeNull()
      expect(await store.getIdentity('nope')).toBeNull()
      expect(await store.findIdentity('email', 'nope@x.test')).toBeNull()
      expect(await store.getConversation('nope')).toBeNull()
      expect(await store.getMessage('nope')).toBeNull()
      expect(await store.messageByExternalId('email', 'nope')).toBeNull()
      expect(await store.getNote('nope')).toBeNull()
      expect(await store.getCall('nope')).toBeNull()
      expect(await store.callByExternalId('nope')).toBeNull()
      expect(await store.conversationByThreadKey('email', 'nope')).toBeNull()
      expect(await store.getEvent('nope')).toBeNull()
      expect(await store.conversationThreads('nope')).toEqual([])
      expect(await store.latestConversationOnChannel('nope', 'sms', null)).toBeNull()
      expect(await store.conversationByMessageExternalId('email', ['nope'])).toBeNull()
      expect(await store.latestUnresolvedConversation('nope')).toBeNull()
      expect(await store.apiTokenByHash('nope')).toBeNull()
      expect(await store.getApiToken('nope')).toBeNull()
      expect(await store.integrationByTokenHash('nope')).toBeNull()
      expect(await store.getIntegration('nope')).toBeNull()
      expect(await store.passwordHashOf('nope')).toBeNull()
      expect(await store.getCustomerSuggestion('nope')).toBeNull()
      expect(await store.getCustomerMerge('nope')).toBeNull()
      expect(await store.getConnectorState('nope', 'nope')).toBeNull()
      expect(await store.lastMutationId('nope')).toBe(0)
      expect(await store.identitiesOf('nope')).toEqual([])
      expect(await store.conversationsOf('nope')).toEqual([])
      expect(await store.conversationItems('nope')).toEqual({ messages: [], notes: [], calls: [], events: [] })
      expect(await store.timeline('nope', null, 10)).toEqual({ items: [], next: null })
      expect(await store.listMessages('nope', 10)).toEqual({ items: [], next: null })
      expect(await store.customerSuggestions('nope')).toEqual([])
      expect(await store.suggestionEvents('nope')).toEqual([])
      expect(await store.counts()).toEqual({ customers: 0, conversations: 0, messages: 0, lastSeq: 0 })
    })
  })

  describe('users, tokens and integrations', () => {
    it('finds a user by email whatever its case and spaces, and lists users by name', async () => {
      await seed(
        store,
        ['user', user('u2', { name: 'bea', email: 'bea@team.test' })],
        ['user', user('u1', { name: 'ann', email: 'ann@team.test', team: 'support' })],
        ['user', user('u3', { name: 'bea', email: 'bea2@team.test', team: 'billing' })],
      )
      expect((await store.getUserByEmail('  ANN@Team.Test '))?.id).toBe('u1')
      expect(ids(await store.listUsers())).toEqual(['u1', 'u2', 'u3'])
    })

    it('lists each team named on a user or a conversation once, sorted', async () => {
      await seed(
        store,
        ['user', user('u1', { team: 'support' })],
        ['user', user('u2', { team: 'billing' })],
        ['user', user('u3')],
        ['customer', customer('c1')],
        ['conversation', conversation('conv1', 'c1', 'A', { team: 'support' })],
        ['conversation', conversation('conv2', 'c1', 'A', { team: 'escalations' })],
        ['conversation', conversation('conv3', 'c1', 'A')],
      )
      expect(await store.teamsInUse()).toEqual(['billing', 'escalations', 'support'])
    })

    it('stores API tokens by hash, lists them newest first, touches and deletes them', async () => {
      await seed(store, ['user', user('u1')], ['user', user('u2')])
      await store.write(async (w) => {
        await w.insertToken({ id: 't1', tokenHash: 'h1', userId: 'u1', label: 'laptop', createdAt: T })
        await w.insertToken({ id: 't2', tokenHash: 'h2', userId: 'u1', label: null, createdAt: T + 10 })
        await w.insertToken({ id: 't3', tokenHash: 'h3', userId: 'u2', label: 'phone', createdAt: T + 10 })
      })
      expect(await store.apiTokenByHash('h1')).toEqual({ id: 't1', tokenHash: 'h1', userId: 'u1', label: 'laptop', createdAt: T, lastUsedAt: null })
      expect(await store.getApiToken('t2')).toEqual({ id: 't2', tokenHash: 'h2', userId: 'u1', label: null, createdAt: T + 10, lastUsedAt: null })
      expect(ids(await store.apiTokensByHash(['h3', 'nope', 'h1'])).sort()).toEqual(['t1', 't3'])
      expect(await store.apiTokensByHash([])).toEqual([])
      expect(ids(await store.listApiTokens(null))).toEqual(['t2', 't3', 't1'])
      expect(ids(await store.listApiTokens('u1'))).toEqual(['t2', 't1'])
      expect(await store.listApiTokens('nobody')).toEqual([])

      await store.write((w) => w.touchToken('h1', T + 50))
      expect((await store.apiTokenByHash('h1'))?.lastUsedAt).toBe(T + 50)
      expect(await store.write((w) => w.deleteToken('h1'))).toMatchObject({ result: true })
      expect(await store.write((w) => w.deleteToken('h1'))).toMatchObject({ result: false })
      expect(await store.apiTokenByHash('h1')).toBeNull()
      expect(ids(await store.listApiTokens(null))).toEqual(['t2', 't3'])
    })

    it('keeps one password hash per user, replaced when set again', async () => {
      await seed(store, ['user', user('u1')], ['user', user('u2')])
      expect(await store.passwordHashOf('u1')).toBeNull()
      await store.write((w) => w.setPasswordHash('u1', 'scrypt-a'))
      await store.write((w) => w.setPasswordHash('u1', 'scrypt-b'))
      expect(await store.passwordHashOf('u1')).toBe('scrypt-b')
      expect(await store.passwordHashOf('u2')).toBeNull()
    })

    it('stores integrations by token hash, revokes each once and keeps it', async () => {
      const zap: IntegrationInfo = { id: 'i1', name: 'Zapier', inboxes: ['A', 'B'], createdAt: T, lastUsedAt: null, revokedAt: null }
      const script: IntegrationInfo = { id: 'i2', name: 'Script', inboxes: ['A'], createdAt: T - 5, lastUsedAt: null, revokedAt: null }
      await store.write(async (w) => {
        await w.insertIntegration(zap, 'ih1')
        await w.insertIntegration(script, 'ih2')
      })
      expect(await store.integrationByTokenHash('ih1')).toEqual(zap)
      expect(await store.getIntegration('i2')).toEqual(script)
      expect(await store.listIntegrations()).toEqual([script, zap])

      await store.write((w) => w.touchIntegration('i1', T + 5))
      expect((await store.write((w) => w.revokeIntegration('i1', T + 6))).result).toBe(true)
      expect((await store.write((w) => w.revokeIntegration('i1', T + 7))).result).toBe(false)
      expect((await store.write((w) => w.revokeIntegration('nope', T + 7))).result).toBe(false)
      expect(await store.integrationByTokenHash('ih1')).toEqual({ ...zap, lastUsedAt: T + 5, revokedAt: T + 6 })
    })

    it('remembers the last mutation of each client', async () => {
      expect(await store.lastMutationId('client-1')).toBe(0)
      await store.write((w) => w.setLastMutationId('client-1', 'u1', 5))
      await store.write((w) => w.setLastMutationId('client-2', 'u1', 2))
      await store.write((w) => w.setLastMutationId('client-1', 'u1', 9))
      expect(await store.lastMutationId('client-1')).toBe(9)
      expect(await store.lastMutationId('client-2')).toBe(2)
    })
  })

  describe('customers', () => {
    /**
     * alice (inbox A), bob (inbox B), carol (A and B), dan (no conversation);
     * old → mid → final merged in a chain, final's conversation in A.
     */
    async function seedCustomers(): Promise<void> {
      await seed(
        store,
        ['customer', customer('alice', { name: 'Alice Smith', lastActivityAt: T + 100 })],
        ['identity', identity('alice-email', 'alice', 'email', 'alice@example.com')],
        ['customer', customer('bob', { name: 'Bob Jones', lastActivityAt: T + 200 })],
        ['identity', identity('bob-phone', 'bob', 'phone', '+15550001')],
        ['identity', identity('bob-email', 'bob', 'email', 'bob_1@corp.test')],
        ['customer', customer('carol', { name: '100% Carol', lastActivityAt: T + 300 })],
        ['identity', identity('carol-email', 'carol', 'email', 'carol@x.test')],
        ['customer', customer('dan', { name: 'Back\\slash Dan', lastActivityAt: T + 50 })],
        ['identity', identity('dan-email', 'dan', 'email', 'bobx1@x.test')],
        ['customer', customer('old', { name: 'Oldname Person', mergedInto: 'mid', lastActivityAt: T + 400 })],
        ['customer', customer('mid', { name: 'Midname Person', mergedInto: 'final', lastActivityAt: T + 400 })],
        ['customer', customer('final', { name: 'Final Person', lastActivityAt: T + 10 })],
        ['identity', identity('final-email', 'final', 'email', 'final@person.test')],
        ['conversation', conversation('conv-alice', 'alice', 'A')],
        ['conversation', conversation('conv-bob', 'bob', 'B')],
        ['conversation', conversation('conv-carol-a', 'carol', 'A')],
        ['conversation', conversation('conv-carol-b', 'carol', 'B')],
        ['conversation', conversation('conv-final', 'final', 'A')],
      )
      const moved = { identityIds: [], conversationIds: [], labels: [], attributeKeys: [], consent: {} }
      await store.write(async (w) => {
        await w.addCustomerMerge({ id: 'merge-1', sourceId: 'old', targetId: 'mid', moved, mergedBy: 'u1', mergedAt: T, undoneAt: null })
        await w.addCustomerMerge({ id: 'merge-2', sourceId: 'mid', targetId: 'final', moved, mergedBy: 'u1', mergedAt: T, undoneAt: null })
      })
    }

    const search = async (query: string | undefined, scope: readonly string[] | null = null, limit = 50, offset = 0): Promise<string[]> =>
      ids(await store.searchCustomers({ query, scope, limit, offset }))

    it('lists every customer not merged away, most recently active first, a page at a time', async () => {
      await seedCustomers()
      expect(await search(undefined)).toEqual(['carol', 'bob', 'alice', 'dan', 'final'])
      expect(await search('')).toEqual(['carol', 'bob', 'alice', 'dan', 'final'])
      expect(await search(undefined, null, 2, 0)).toEqual(['carol', 'bob'])
      expect(await search(undefined, null, 2, 2)).toEqual(['alice', 'dan'])
      expect(await search(undefined, null, 2, 4)).toEqual(['final'])
      expect(await search(undefined, null, 2, 6)).toEqual([])
    })

    it('finds a customer by part of the name or of an address, whatever the case', async () => {
      await seedCustomers()
      expect(await search('lice sm')).toEqual(['alice'])
      expect(await search('aLiCe')).toEqual(['alice'])
      expect(await search('EXAMPLE.COM')).toEqual(['alice'])
      expect(await search('555000')).toEqual(['bob'])
      expect(await search('jones')).toEqual(['bob'])
      expect(await search('nobody')).toEqual([])
      // A customer matching by name and by several addresses is listed once.
      expect(await search('bob')).toEqual(['bob', 'dan'])
    })

    it('takes % _ and \\ in a search literally', async () => {
      await seedCustomers()
      expect(await search('0%')).toEqual(['carol'])
      expect(await search('%')).toEqual(['carol'])
      expect(await search('b_1')).toEqual(['bob'])
      expect(await search('_')).toEqual(['bob'])
      expect(await search('k\\s')).toEqual(['dan'])
    })

    it('lists a customer merged away as the customer it ended up in, once', async () => {
      await seedCustomers()
      expect(await search('oldname')).toEqual(['final'])
      expect(await search('midname')).toEqual(['final'])
      expect(await search('person')).toEqual(['final'])
      expect(await search('person', ['A'])).toEqual(['final'])
      expect(await search('person', ['B'])).toEqual([])
    })

    it('lists an unmerged customer as itself once its merge is undone', async () => {
      await seedCustomers()
      await seed(store, ['customer', customer('old', { name: 'Oldname Person', mergedInto: null, lastActivityAt: T + 400 })])
      await store.write((w) => w.markMergeUndone('merge-1', T + 1))
      expect(await search('oldname')).toEqual(['old'])
      expect(await search('person')).toEqual(['old', 'final'])
    })

    it('lists only customers with a conversation in the inboxes the reader may see', async () => {
      await seedCustomers()
      expect(await search(undefined, ['A'])).toEqual(['carol', 'alice', 'final'])
      expect(await search(undefined, ['B'])).toEqual(['carol', 'bob'])
      expect(await search(undefined, ['A', 'B'])).toEqual(['carol', 'bob', 'alice', 'final'])
      expect(await search(undefined, [])).toEqual([])
      expect(await search(undefined, ['Z'])).toEqual([])
      expect(await search('o', ['B'])).toEqual(['carol', 'bob'])
      expect(await search('x.test', ['A'])).toEqual(['carol'])
    })

    describe('search by part of a name or an address', () => {
      /** hana (inbox A), ivo (B), jun (A): names and addresses holding query syntax and a letter beyond ASCII. */
      async function seedSearch(): Promise<void> {
        await seed(
          store,
          ['customer', customer('hana', { name: 'Hana Quillfeather-Ōta', lastActivityAt: T + 30 })],
          ['identity', identity('hana-email', 'hana', 'email', 'hana.q@inkwell.test')],
          ['identity', identity('hana-phone', 'hana', 'phone', '+442079460123')],
          ['customer', customer('ivo', { name: 'Ivo "The Key" Novak', lastActivityAt: T + 20 })],
          ['identity', identity('ivo-email', 'ivo', 'email', 'ivo*star@near-by.test')],
          ['customer', customer('jun', { name: 'Jun NEAR: Park', lastActivityAt: T + 10 })],
          ['identity', identity('jun-phone', 'jun', 'phone', '+15550199')],
          ['conversation', conversation('conv-hana', 'hana', 'A')],
          ['conversation', conversation('conv-ivo', 'ivo', 'B')],
          ['conversation', conversation('conv-jun', 'jun', 'A')],
        )
      }

      it('finds a substring in the middle of a name, of an email address and of a phone number, whatever the case', async () => {
        await seedSearch()
        expect(await search('illfeath')).toEqual(['hana'])
        expect(await search('QUILLFEATHER-')).toEqual(['hana'])
        expect(await search('a Qu')).toEqual(['hana'])
        expect(await search('q@inkw')).toEqual(['hana'])
        expect(await search('INKWELL.TEST')).toEqual(['hana'])
        expect(await search('2079460')).toEqual(['hana'])
        expect(await search('0199')).toEqual(['jun'])
        expect(await search('.test')).toEqual(['hana', 'ivo'])
        expect(await search('illfeath', ['B'])).toEqual([])
        // Letters beyond ASCII match only as they are written, as LIKE compares them.
        expect(await search('Ōta')).toEqual(['hana'])
        expect(await search('ōta')).toEqual([])
      })

      it('takes quotes, *, -, :, NEAR and other query syntax as text', async () => {
        await seedSearch()
        expect(await search('"The Key"')).toEqual(['ivo'])
        expect(await search('o "t')).toEqual(['ivo'])
        expect(await search('"')).toEqual(['ivo'])
        expect(await search('""')).toEqual([])
        expect(await search('ivo*')).toEqual(['ivo'])
        expect(await search('*star')).toEqual(['ivo'])
        expect(await search('o*s')).toEqual(['ivo'])
        expect(await search('her-')).toEqual(['hana'])
        expect(await search('-ōta')).toEqual([])
        expect(await search('near')).toEqual(['ivo', 'jun'])
        expect(await search('NEAR:')).toEqual(['jun'])
        expect(await search('near: p')).toEqual(['jun'])
        expect(await search('NEAR(ivo star)')).toEqual([])
        expect(await search('ivo OR jun')).toEqual([])
        expect(await search('hana AND')).toEqual([])
        expect(await search('^jun')).toEqual([])
        expect(await search('(')).toEqual([])
      })

      it('finds 1 and 2 character queries anywhere in a name or an address', async () => {
        await seedSearch()
        expect(await search('q')).toEqual(['hana'])
        expect(await search('Ō')).toEqual(['hana'])
        expect(await search('*')).toEqual(['ivo'])
        expect(await search(':')).toEqual(['jun'])
        expect(await search('99')).toEqual(['jun'])
        expect(await search('PA')).toEqual(['jun'])
        expect(await search('a', null, 2, 1)).toEqual(['ivo', 'jun'])
        expect(await search('zz')).toEqual([])
      })

      it('follows a name or an address changed, an identity moved to another customer, and a merge', async () => {
        await seedSearch()
        await seed(store, ['customer', customer('jun', { name: 'Jun Kowalczyk', lastActivityAt: T + 10 })])
        expect(await search('park')).toEqual([])
        expect(await search('kowalc')).toEqual(['jun'])
        await seed(store, ['identity', identity('jun-phone', 'jun', 'phone', '+15550777')])
        expect(await search('50199')).toEqual([])
        expect(await search('50777')).toEqual(['jun'])
        // A merge moves the identities to the customer that stands and keeps the one merged away.
        await seed(
          store,
          ['identity', identity('ivo-email', 'hana', 'email', 'ivo*star@near-by.test')],
          ['customer', customer('ivo', { name: 'Ivo "The Key" Novak', mergedInto: 'hana', lastActivityAt: T + 20 })],
        )
        const moved = { identityIds: ['ivo-email'], conversationIds: [], labels: [], attributeKeys: [], consent: {} }
        await store.write((w) => w.addCustomerMerge({ id: 'merge-ivo', sourceId: 'ivo', targetId: 'hana', moved, mergedBy: 'u1', mergedAt: T, undoneAt: null }))
        expect(await search('star@near')).toEqual(['hana'])
        expect(await search('novak')).toEqual(['hana'])
        expect(await search('.test')).toEqual(['hana'])
        expect(ids(await store.identitiesOf('hana'))).toContain('ivo-email')
      })

      it('finds an erased customer by nothing, before and after the purge, and again once restored', async () => {
        await seedSearch()
        const held = [
          { entity: 'customer', data: (await store.getCustomer('hana'))! },
          ...(await store.identitiesOf('hana')).map((data) => ({ entity: 'identity', data })),
          { entity: 'conversation', data: (await store.getConversation('conv-hana'))! },
        ] as HeldEntity[]
        const erasure = { customerId: 'hana', customerIds: ['hana'], name: 'Hana', requestedBy: 'u1', requestedAt: T, purgeAt: T + 1, immediate: true }
        await store.write((w) => w.holdErasure(erasure, held), ACTOR)
        for (const q of ['illfeath', 'inkwell', '2079460', 'hana', 'q', 'ōt']) expect(await search(q)).toEqual([])
        expect(await search('.test')).toEqual(['ivo'])
        // Restored: put back as the restore does, then found again.
        await seed(store, ...held.map((h) => [h.entity, h.data] as Entity))
        await store.write((w) => w.releaseErasure('hana'), ACTOR)
        expect(await search('illfeath')).toEqual(['hana'])
        expect(await search('2079460')).toEqual(['hana'])
        // Erased again and purged.
        await store.write((w) => w.holdErasure(erasure, held), ACTOR)
        await store.write((w) => w.purgeErasure('hana', ['hana.q@inkwell.test']), ACTOR)
        for (const q of ['illfeath', 'inkwell', '2079460', 'hana']) expect(await search(q)).toEqual([])
        await seed(store, ['customer', customer('hana2', { name: 'Hana Again', lastActivityAt: T + 40 })])
        expect(await search('hana')).toEqual(['hana2'])
      })
    })

    it('tells whether a reader may see a customer', async () => {
      await seedCustomers()
      expect(await store.customerVisible('alice', null)).toBe(true)
      expect(await store.customerVisible('alice', ['A'])).toBe(true)
      expect(await store.customerVisible('alice', ['B'])).toBe(false)
      expect(await store.customerVisible('carol', ['B', 'Z'])).toBe(true)
      expect(await store.customerVisible('dan', ['A', 'B'])).toBe(false)
      expect(await store.customerVisible('alice', [])).toBe(false)
    })

    it('finds customers of the same name, whatever its case, with an email address at a domain', async () => {
      await seed(
        store,
        ['customer', customer('p1', { name: 'Pat Lee', lastActivityAt: T + 1 })],
        ['identity', identity('p1-email', 'p1', 'email', 'pat@acme.test')],
        ['customer', customer('p2', { name: 'PAT LEE', lastActivityAt: T + 2 })],
        ['identity', identity('p2-email', 'p2', 'email', 'p.lee@acme.test')],
        ['customer', customer('p3', { name: 'Pat Lee', lastActivityAt: T + 3 })],
        ['identity', identity('p3-email', 'p3', 'email', 'pat@sub.acme.test')],
        ['customer', customer('p4', { name: 'Pat Lee', lastActivityAt: T + 4 })],
        ['identity', identity('p4-chat', 'p4', 'chat', 'pat@acme.test')],
        ['customer', customer('p5', { name: 'Pat Lee', lastActivityAt: T + 5 })],
        ['identity', identity('p5-email', 'p5', 'email', 'pat@acmeXtest')],
        ['customer', customer('p6', { name: 'Pat Leeds', lastActivityAt: T + 6 })],
        ['identity', identity('p6-email', 'p6', 'email', 'pat@acme.test.org')],
      )
      expect(ids(await store.customersNamedWithEmailDomain('pat lee', 'acme.test', 'p0', 10))).toEqual(['p2', 'p1'])
      expect(ids(await store.customersNamedWithEmailDomain('Pat Lee', 'acme.test', 'p2', 10))).toEqual(['p1'])
      expect(ids(await store.customersNamedWithEmailDomain('Pat Lee', 'acme.test', 'p0', 1))).toEqual(['p2'])
      // The domain is taken literally: _ and % match only themselves.
      expect(await store.customersNamedWithEmailDomain('Pat Lee', 'acme_test', 'p0', 10)).toEqual([])
      expect(await store.customersNamedWithEmailDomain('Pat Lee', '%', 'p0', 10)).toEqual([])
    })

    it('lists a customer’s identities oldest first, and finds one by kind and address', async () => {
      await seed(
        store,
        ['customer', customer('c1')],
        ['identity', identity('i3', 'c1', 'email', 'b@x.test', { createdAt: T + 1 })],
        ['identity', identity('i2', 'c1', 'phone', '+15550002', { createdAt: T })],
        ['identity', identity('i1', 'c1', 'whatsapp', '+15550002', { createdAt: T + 1 })],
      )
      expect(ids(await store.identitiesOf('c1'))).toEqual(['i2', 'i1', 'i3'])
      expect((await store.findIdentity('whatsapp', '+15550002'))?.id).toBe('i1')
      expect((await store.findIdentity('phone', '+15550002'))?.id).toBe('i2')
      expect(await store.findIdentity('email', '+15550002')).toBeNull()
    })
  })

  describe('conversations', () => {
    async function seedConversations(): Promise<void> {
      await seed(
        store,
        ['customer', customer('alice')],
        ['customer', customer('bob')],
        ['customer', customer('carol')],
        ['conversation', conversation('c1', 'alice', 'A', { channel: 'email', status: 'open', assigneeId: 'u1', lastMessageAt: T + 500 })],
        ['conversation', conversation('c2', 'alice', 'A', { channel: 'sms', status: 'pending', lastMessageAt: T + 500 })],
        ['conversation', conversation('c3', 'bob', 'B', { channel: 'email', status: 'open', assigneeId: 'u1', lastMessageAt: T + 400 })],
        ['conversation', conversation('c4', 'bob', 'A', { channel: 'chat', status: 'resolved', lastMessageAt: T + 600 })],
        ['conversation', conversation('c5', 'carol', 'B', { channel: 'whatsapp', status: 'open', assigneeId: 'u2', lastMessageAt: T + 500 })],
        ['conversation', conversation('c6', 'carol', 'C', { channel: 'email', status: 'snoozed', snoozedUntil: T + 9, lastMessageAt: T + 300 })],
      )
    }

    const list = async (filter: Partial<Parameters<Store['listConversations']>[0]> = {}): Promise<string[]> =>
      ids((await store.listConversations({ scope: null, limit: 50, ...filter })).items)

    it('lists conversations newest first, ties by id', async () => {
      await seedConversations()
      expect(await list()).toEqual(['c4', 'c1', 'c2', 'c5', 'c3', 'c6'])
    })

    it('filters conversations by status, inbox, channel, customer, assignee and scope', async () => {
      await seedConversations()
      expect(await list({ status: 'open' })).toEqual(['c1', 'c5', 'c3'])
      expect(await list({ status: 'snoozed' })).toEqual(['c6'])
      expect(await list({ inbox: 'A' })).toEqual(['c4', 'c1', 'c2'])
      expect(await list({ channel: 'email' })).toEqual(['c1', 'c3', 'c6'])
      expect(await list({ customerId: 'alice' })).toEqual(['c1', 'c2'])
      expect(await list({ assigneeId: 'u1' })).toEqual(['c1', 'c3'])
      expect(await list({ assigneeId: null })).toEqual(['c4', 'c2', 'c6'])
      expect(await list({ scope: ['B'] })).toEqual(['c5', 'c3'])
      expect(await list({ scope: ['B', 'C'] })).toEqual(['c5', 'c3', 'c6'])
      expect(await list({ scope: [] })).toEqual([])
      expect(await list({ scope: ['A'], status: 'open' })).toEqual(['c1'])
      expect(await list({ scope: ['A'], inbox: 'B' })).toEqual([])
      expect(await list({ status: 'open', channel: 'email', assigneeId: 'u1', inbox: 'B', customerId: 'bob' })).toEqual(['c3'])
    })

    it('pages through conversations with a cursor, across ties on the last message time', async () => {
      await seedConversations()
      const pages: string[][] = []
      let after: string | undefined
      for (;;) {
        const page = await store.listConversations({ scope: null, limit: 2, after })
        pages.push(ids(page.items))
        if (!page.next) break
        after = page.next
      }
      expect(pages).toEqual([
        ['c4', 'c1'],
        ['c2', 'c5'],
        ['c3', 'c6'],
      ])
      // A page that ends exactly at the last conversation has no next.
      expect((await store.listConversations({ scope: null, limit: 6 })).next).toBeNull()
      const filtered = await store.listConversations({ scope: ['A', 'B'], status: 'open', limit: 1 })
      expect(ids(filtered.items)).toEqual(['c1'])
      const second = await store.listConversations({ scope: ['A', 'B'], status: 'open', limit: 1, after: filtered.next! })
      expect(ids(second.items)).toEqual(['c5'])
    })

    it('refuses a page cursor it did not make', async () => {
      await seedConversations()
      await expect(store.listConversations({ scope: null, limit: 2, after: 'not a cursor' })).rejects.toThrow(InvalidCursorError)
      await expect(store.listConversations({ scope: null, limit: 2, after: foreignCursor })).rejects.toThrow(InvalidCursorError)
      await expect(store.listMessages('c1', 2, 'not a cursor')).rejects.toThrow(InvalidCursorError)
      await expect(store.listMessages('c1', 2, foreignCursor)).rejects.toThrow(InvalidCursorError)
      await expect(store.timeline('alice', null, 2, 'not a cursor')).rejects.toThrow(InvalidCursorError)
      await expect(store.timeline('alice', null, 2, foreignCursor)).rejects.toThrow(InvalidCursorError)
    })

    it('finds the conversation of the newest message among several external ids', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('c1', 'alice', 'A')],
        ['conversation', conversation('c2', 'alice', 'A')],
      )
      const [c1, c2] = [(await store.getConversation('c1'))!, (await store.getConversation('c2'))!]
      await seed(
        store,
        ['message', message('m1', c1, { externalId: '<a@mail>', sentAt: T + 1 })],
        ['message', message('m2', c2, { externalId: '<b@mail>', sentAt: T + 2 })],
        ['message', message('m3', { ...c1, channel: 'sms' }, { externalId: '<c@mail>', sentAt: T + 3 })],
      )
      expect((await store.conversationByMessageExternalId('email', ['<a@mail>']))?.id).toBe('c1')
      expect((await store.conversationByMessageExternalId('email', ['<a@mail>', '<b@mail>', '<x@mail>']))?.id).toBe('c2')
      expect(await store.conversationByMessageExternalId('email', ['<c@mail>'])).toBeNull()
      expect(await store.conversationByMessageExternalId('email', [])).toBeNull()
    })

    it('finds a customer’s latest unresolved conversation, of any channel', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['customer', customer('bob')],
        ['conversation', conversation('resolved', 'alice', 'A', { status: 'resolved', lastMessageAt: T + 9 })],
        ['conversation', conversation('older', 'alice', 'A', { lastMessageAt: T + 1 })],
        ['conversation', conversation('in-b', 'alice', 'B', { status: 'pending', lastMessageAt: T + 5 })],
        ['conversation', conversation('sms', 'alice', 'A', { channel: 'sms', lastMessageAt: T + 8 })],
        ['conversation', conversation('bobs', 'bob', 'A', { lastMessageAt: T + 10 })],
      )
      expect((await store.latestUnresolvedConversation('alice'))?.id).toBe('sms')
      expect(await store.latestUnresolvedConversation('carol')).toBeNull()
    })

    it('routes a thread key to the conversation that took it last, and finds the latest conversation holding a channel', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('old', 'alice', 'A', { status: 'resolved', lastMessageAt: T + 1 })],
        ['conversation', conversation('new', 'alice', 'A', { channel: 'chat', lastMessageAt: T + 5 })],
        ['conversation', conversation('mail', 'alice', 'B', { lastMessageAt: T + 9 })],
      )
      await store.write(async (w) => {
        await w.putThread({ channel: 'sms', threadKey: 'sms:A:alice', conversationId: 'old', inbox: 'SMS 1', lastAt: T + 1 })
        await w.putThread({ channel: 'sms', threadKey: 'sms:B:alice', conversationId: 'old', inbox: 'SMS 2', lastAt: T + 1 })
        await w.putThread({ channel: 'email', threadKey: '<root@x>', conversationId: 'mail', inbox: 'B', lastAt: T + 9 })
      }, ACTOR)
      expect((await store.latestConversationOnChannel('alice', 'sms', null))?.id).toBe('old')
      expect((await store.conversationByThreadKey('sms', 'sms:A:alice'))?.id).toBe('old')
      // The agent answers by SMS from the chat conversation: the number now routes there.
      await store.write((w) => w.putThread({ channel: 'sms', threadKey: 'sms:A:alice', conversationId: 'new', inbox: 'SMS 1', lastAt: T + 6 }), ACTOR)
      expect((await store.conversationByThreadKey('sms', 'sms:A:alice'))?.id).toBe('new')
      expect((await store.latestConversationOnChannel('alice', 'sms', 'SMS 1'))?.id).toBe('new')
      expect((await store.latestConversationOnChannel('alice', 'sms', 'SMS 2'))?.id).toBe('old')
      expect((await store.latestConversationOnChannel('alice', 'email', null))?.id).toBe('mail')
      expect(await store.latestConversationOnChannel('alice', 'whatsapp', null)).toBeNull()
      expect((await store.conversationThreads('old')).map((t) => [t.channel, t.inbox])).toEqual([['sms', 'SMS 2']])
      // An older use never moves a thread's time backwards.
      await store.write((w) => w.putThread({ channel: 'sms', threadKey: 'sms:A:alice', conversationId: 'new', inbox: 'SMS 1', lastAt: T }), ACTOR)
      expect((await store.conversationThreads('new'))[0]).toMatchObject({ threadKey: 'sms:A:alice', lastAt: T + 6 })
    })

    it('sends a saved view only to readers holding one of its audience tokens, in the pull and the live feed alike', async () => {
      await seed(store, ['user', user('ann', { team: 'Billing' })])
      const view = { id: 'v1', name: 'Mine', ownerId: 'ann', team: null, filters: { priorities: ['urgent' as const] }, createdAt: T, updatedAt: T, deletedAt: null }
      await seed(store, ['savedView', view])
      await seed(store, ['savedView', { ...view, team: 'Billing', updatedAt: T + 1 }])
      await seed(store, ['savedView', { ...view, team: null, updatedAt: T + 2 }])
      const names = async (viewer: string[]) =>
        (await store.changesAfter(0, 100, null, viewer)).changes.filter((c) => c.entity === 'savedView').map((c) => (c.data as { team: string | null }).team)
      expect(await names(['user:ann'])).toEqual([null, 'Billing', null])
      // A Billing member hears of the sharing and of its end; someone else of nothing.
      expect(await names(['user:bill', 'team:Billing'])).toEqual(['Billing', null])
      expect(await names(['user:sue', 'team:Support'])).toEqual([])
      expect(await names([])).toEqual([])
      expect((await store.changesSince(0, 100)).filter((c) => c.entity === 'savedView').map((c) => c.audience)).toEqual([
        ['user:ann'],
        ['user:ann', 'team:Billing'],
        ['user:ann', 'team:Billing'],
      ])
      expect(await store.getSavedView('v1')).toMatchObject({ team: null, filters: { priorities: ['urgent'] } })
    })

    it('takes the conversation created later when two have the same last message time, even after the earlier one is updated', async () => {
      await seed(store, ['customer', customer('alice')])
      await seed(store, ['conversation', conversation('zz-first', 'alice', 'A', { lastMessageAt: T })])
      await seed(store, ['conversation', conversation('aa-second', 'alice', 'A', { lastMessageAt: T })])
      expect((await store.latestUnresolvedConversation('alice'))?.id).toBe('aa-second')
      await seed(store, ['conversation', conversation('zz-first', 'alice', 'A', { lastMessageAt: T, subject: 'edited' })])
      expect((await store.latestUnresolvedConversation('alice'))?.id).toBe('aa-second')
    })

    it('lists every conversation of a customer oldest first, and all the items of one', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('b', 'alice', 'B', { createdAt: T + 1 })],
        ['conversation', conversation('a', 'alice', 'A', { createdAt: T + 2 })],
        ['conversation', conversation('c', 'alice', 'C', { createdAt: T + 1 })],
      )
      expect(ids(await store.conversationsOf('alice'))).toEqual(['b', 'c', 'a'])
      const conv = (await store.getConversation('a'))!
      await seed(
        store,
        ['message', message('m2', conv, { sentAt: T + 1 })],
        ['message', message('m1', conv, { sentAt: T + 2 })],
        ['note', note('n1', conv)],
        ['call', call('k1', conv)],
        ['event', event('e2', conv)],
        ['event', event('e1', conv)],
      )
      const items = await store.conversationItems('a')
      expect({
        messages: ids(items.messages),
        notes: ids(items.notes),
        calls: ids(items.calls),
        events: ids(items.events),
      }).toEqual({ messages: ['m1', 'm2'], notes: ['n1'], calls: ['k1'], events: ['e1', 'e2'] })
      expect(await store.conversationItems('b')).toEqual({ messages: [], notes: [], calls: [], events: [] })
    })

    it('counts customers, conversations and messages, with the newest seq', async () => {
      await seedConversations()
      const conv = (await store.getConversation('c1'))!
      await seed(store, ['message', message('m1', conv)], ['message', message('m2', conv)], ['note', note('n1', conv)])
      expect(await store.counts()).toEqual({ customers: 3, conversations: 6, messages: 2, lastSeq: 12 })
      expect(await store.lastSeq()).toBe(12)
    })
  })

  describe('messages and the timeline', () => {
    it('finds a message or a call by its external id', async () => {
      await seed(store, ['customer', customer('alice')], ['conversation', conversation('c1', 'alice', 'A')])
      const conv = (await store.getConversation('c1'))!
      await seed(
        store,
        ['message', message('m-email', conv, { externalId: 'ext-1' })],
        ['message', message('m-sms', { ...conv, channel: 'sms' }, { externalId: 'ext-1' })],
        ['call', call('k1', conv, { externalId: 'CA1' })],
      )
      expect((await store.messageByExternalId('email', 'ext-1'))?.id).toBe('m-email')
      expect((await store.messageByExternalId('sms', 'ext-1'))?.id).toBe('m-sms')
      expect(await store.messageByExternalId('whatsapp', 'ext-1')).toBeNull()
      expect((await store.callByExternalId('CA1'))?.id).toBe('k1')
    })

    it('finds a customer’s newest event of one type, whatever conversation holds it', async () => {
      await seed(store, ['customer', customer('alice')], ['customer', customer('bob')], ['conversation', conversation('c1', 'alice', 'A')], ['conversation', conversation('c2', 'alice', 'A')], ['conversation', conversation('c3', 'bob', 'A')])
      const [c1, c2, c3] = [(await store.getConversation('c1'))!, (await store.getConversation('c2'))!, (await store.getConversation('c3'))!]
      await seed(
        store,
        ['event', event('e-old', c1, { type: 'csat_requested', createdAt: T })],
        ['event', event('e-new', c2, { type: 'csat_requested', createdAt: T + 5 })],
        ['event', event('e-other-type', c2, { type: 'status_changed', createdAt: T + 9 })],
        ['event', event('e-bob', c3, { type: 'csat_requested', createdAt: T + 7 })],
      )
      expect((await store.latestEventOfType('alice', 'csat_requested'))?.id).toBe('e-new')
      expect((await store.latestEventOfType('bob', 'csat_requested'))?.id).toBe('e-bob')
      expect(await store.latestEventOfType('alice', 'csat_answered')).toBeNull()
    })

    it('pages through a conversation’s messages oldest first, across ties on the time sent', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('c1', 'alice', 'A')],
        ['conversation', conversation('c2', 'alice', 'A')],
      )
      const [c1, c2] = [(await store.getConversation('c1'))!, (await store.getConversation('c2'))!]
      await seed(
        store,
        ['message', message('m3', c1, { sentAt: T + 2 })],
        ['message', message('m2', c1, { sentAt: T + 1 })],
        ['message', message('m1', c1, { sentAt: T + 1 })],
        ['message', message('m0', c1, { sentAt: T + 3 })],
        ['message', message('x1', c2, { sentAt: T })],
      )
      expect(ids((await store.listMessages('c1', 10)).items)).toEqual(['m1', 'm2', 'm3', 'm0'])
      const pages: string[][] = []
      let after: string | undefined
      for (;;) {
        const page = await store.listMessages('c1', 1, after)
        pages.push(ids(page.items))
        if (!page.next) break
        after = page.next
      }
      expect(pages).toEqual([['m1'], ['m2'], ['m3'], ['m0']])
      expect((await store.listMessages('c1', 4)).next).toBeNull()
    })

    /** alice: conversations in A and B; bob's item must never show in alice's timeline. */
    async function seedTimeline(): Promise<void> {
      await seed(
        store,
        ['customer', customer('alice')],
        ['customer', customer('bob')],
        ['conversation', conversation('ca', 'alice', 'A')],
        ['conversation', conversation('cb', 'alice', 'B')],
        ['conversation', conversation('cx', 'bob', 'A')],
      )
      const [ca, cb, cx] = [(await store.getConversation('ca'))!, (await store.getConversation('cb'))!, (await store.getConversation('cx'))!]
      await seed(
        store,
        ['message', message('m1', ca, { sentAt: T + 10 })],
        ['message', message('m2', cb, { sentAt: T + 30 })],
        ['note', note('n1', ca, { createdAt: T + 20 })],
        ['call', call('k1', ca, { startedAt: T + 30 })],
        ['event', event('e1', ca, { createdAt: T + 20 })],
        ['event', event('e2', cb, { createdAt: T + 40 })],
        ['message', message('x1', cx, { sentAt: T + 50 })],
        ['note', note('x2', cx, { createdAt: T + 25 })],
      )
    }

    it('shows a customer’s messages, notes, calls and events newest first, ties by id', async () => {
      await seedTimeline()
      const page = await store.timeline('alice', null, 50)
      expect(page.items.map((e) => [e.kind, e.item.id, e.at])).toEqual([
        ['event', 'e2', T + 40],
        ['message', 'm2', T + 30],
        ['call', 'k1', T + 30],
        ['note', 'n1', T + 20],
        ['event', 'e1', T + 20],
        ['message', 'm1', T + 10],
      ])
      expect(page.next).toBeNull()
      expect(page.items[1]!.item).toEqual(await store.getMessage('m2'))
    })

    it('shows only the timeline of the inboxes the reader may see', async () => {
      await seedTimeline()
      expect(entryIds((await store.timeline('alice', ['A'], 50)).items)).toEqual(['k1', 'n1', 'e1', 'm1'])
      expect(entryIds((await store.timeline('alice', ['B', 'Z'], 50)).items)).toEqual(['e2', 'm2'])
      expect((await store.timeline('alice', [], 50)).items).toEqual([])
    })

    it('pages through the timeline across the four kinds, each entry once', async () => {
      await seedTimeline()
      for (const [limit, scope, expected] of [
        [2, null, [['e2', 'm2'], ['k1', 'n1'], ['e1', 'm1']]],
        [4, null, [['e2', 'm2', 'k1', 'n1'], ['e1', 'm1']]],
        [1, ['A'], [['k1'], ['n1'], ['e1'], ['m1']]],
        [3, ['A'], [['k1', 'n1', 'e1'], ['m1']]],
      ] as const) {
        const pages: string[][] = []
        let before: string | undefined
        for (;;) {
          const page = await store.timeline('alice', scope, limit, before)
          pages.push(entryIds(page.items))
          if (!page.next) break
          before = page.next
        }
        expect(pages, `limit ${limit}, scope ${JSON.stringify(scope)}`).toEqual(expected)
      }
    })

    it('pages through every item of one kind a customer has, in every inbox, oldest first, ties by id', async () => {
      await seedTimeline()
      const ca = (await store.getConversation('ca'))!
      await seed(store, ['message', message('m0', ca, { sentAt: T + 30 })], ['event', event('e0', ca, { createdAt: T + 40 })])
      async function allPages(kind: 'message' | 'note' | 'call' | 'event', limit: number): Promise<string[][]> {
        const pages: string[][] = []
        let after: string | undefined
        for (;;) {
          const page = await store.customerItems('alice', kind, limit, after)
          pages.push(ids(page.items))
          if (!page.next) return pages
          after = page.next
        }
      }
      expect(await allPages('message', 1)).toEqual([['m1'], ['m0'], ['m2']])
      expect(await allPages('message', 2)).toEqual([['m1', 'm0'], ['m2']])
      expect(await allPages('event', 1)).toEqual([['e1'], ['e0'], ['e2']])
      expect(await allPages('note', 5)).toEqual([['n1']])
      expect(await allPages('call', 5)).toEqual([['k1']])
      expect((await store.customerItems('alice', 'message', 3)).items[2]).toEqual(await store.getMessage('m2'))
      expect((await store.customerItems('bob', 'note', 5)).items.map((n) => n.id)).toEqual(['x2'])
      expect(await store.customerItems('nobody', 'call', 5)).toEqual({ items: [], next: null })
      await expect(store.customerItems('alice', 'message', 1, 'not a cursor')).rejects.toThrow(InvalidCursorError)
    })

    it('lists queued outbound messages oldest first, each with the customer’s newest address on its channel', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['identity', identity('p-old', 'alice', 'phone', '+15550001', { createdAt: T })],
        ['identity', identity('p-new', 'alice', 'phone', '+15550002', { createdAt: T + 1 })],
        ['identity', identity('mail', 'alice', 'email', 'alice@x.test', { createdAt: T })],
        ['conversation', conversation('c-sms', 'alice', 'A', { channel: 'sms' })],
        ['conversation', conversation('c-email', 'alice', 'A', { channel: 'email' })],
        ['conversation', conversation('c-wa', 'alice', 'A', { channel: 'whatsapp' })],
        ['conversation', conversation('c-voice', 'alice', 'A', { channel: 'voice' })],
      )
      const conv = async (id: string): Promise<Conversation> => (await store.getConversation(id))!
      const outbound = { direction: 'outbound', deliveryStatus: 'queued', authorId: 'u1' } as const
      await seed(
        store,
        ['message', message('q-sms', await conv('c-sms'), { ...outbound, sentAt: T + 3 })],
        ['message', message('q-email', await conv('c-email'), { ...outbound, sentAt: T + 1 })],
        ['message', message('q-wa', await conv('c-wa'), { ...outbound, sentAt: T + 4 })],
        ['message', message('q-voice', await conv('c-voice'), { ...outbound, sentAt: T + 4 })],
        ['message', message('sent', await conv('c-sms'), { ...outbound, deliveryStatus: 'sent', sentAt: T })],
        ['message', message('inbound', await conv('c-sms'), { sentAt: T })],
      )
      const queued = await store.queuedOutbound(10)
      expect(queued.map((q) => [q.message.id, q.recipient?.id ?? null])).toEqual([
        ['q-email', 'mail'],
        ['q-sms', 'p-new'],
        ['q-voice', 'p-new'],
        ['q-wa', null],
      ])
      expect(queued[0]!.message).toEqual(await store.getMessage('q-email'))
      expect(queued[0]!.recipient).toEqual(await store.getIdentity('mail'))
      expect((await store.queuedOutbound(1)).map((q) => q.message.id)).toEqual(['q-email'])
      // What the dispatcher queues them by: the same messages in the same order, ids and channels alone.
      expect(await store.queuedOutboundIds(10)).toEqual([
        { id: 'q-email', channel: 'email' },
        { id: 'q-sms', channel: 'sms' },
        { id: 'q-voice', channel: 'voice' },
        { id: 'q-wa', channel: 'whatsapp' },
      ])
      expect(await store.queuedOutboundIds(2)).toEqual([
        { id: 'q-email', channel: 'email' },
        { id: 'q-sms', channel: 'sms' },
      ])
      expect((await store.recipientFor((await store.getMessage('q-sms'))!))?.id).toBe('p-new')
      expect(await store.recipientFor((await store.getMessage('q-wa'))!)).toBeNull()
    })
  })

  describe('ordering of text', () => {
    // Byte order, as SQLite compares text (and JavaScript's < for these ASCII ids), whatever the
    // collation of the database: a page cursor compares ids the way the rows were sorted.
    const mixed = ['b', 'B', 'a-1', 'a_1', 'A1', '_z']
    const bytewise = [...mixed].sort()

    it('sorts and pages ties by id in byte order', async () => {
      await seed(store, ['customer', customer('alice')])
      await seed(store, ...mixed.map((id): Entity => ['conversation', conversation(id, 'alice', 'A', { lastMessageAt: T })]))
      const conv = (await store.getConversation('b'))!
      await seed(store, ...mixed.map((id): Entity => ['message', message(`m${id}`, conv, { sentAt: T })]))

      expect(ids((await store.listConversations({ scope: null, limit: 50 })).items)).toEqual(bytewise)
      const paged: string[] = []
      let after: string | undefined
      do {
        const page = await store.listConversations({ scope: null, limit: 1, after })
        paged.push(...ids(page.items))
        after = page.next ?? undefined
      } while (after)
      expect(paged).toEqual(bytewise)

      const messages: string[] = []
      after = undefined
      do {
        const page = await store.listMessages('b', 1, after)
        messages.push(...ids(page.items))
        after = page.next ?? undefined
      } while (after)
      expect(messages).toEqual(bytewise.map((id) => `m${id}`))
    })

    it('pages a timeline whose entries share a time in byte order of their ids, each once', async () => {
      await seed(store, ['customer', customer('alice')], ['conversation', conversation('c1', 'alice', 'A')])
      const conv = (await store.getConversation('c1'))!
      await seed(
        store,
        ['message', message('b', conv, { sentAt: T })],
        ['note', note('B', conv, { createdAt: T })],
        ['call', call('a-1', conv, { startedAt: T })],
        ['event', event('a_1', conv, { createdAt: T })],
        ['message', message('A1', conv, { sentAt: T })],
        ['note', note('_z', conv, { createdAt: T })],
      )
      const newestFirst = [...bytewise].reverse()
      expect(entryIds((await store.timeline('alice', null, 50)).items)).toEqual(newestFirst)
      for (const limit of [1, 2, 4]) {
        const paged: string[] = []
        let before: string | undefined
        do {
          const page = await store.timeline('alice', null, limit, before)
          paged.push(...entryIds(page.items))
          before = page.next ?? undefined
        } while (before)
        expect(paged, `limit ${limit}`).toEqual(newestFirst)
      }
    })

    it('sorts users, teams, customers and tokens in byte order', async () => {
      await seed(
        store,
        ...mixed.map((name, i): Entity => ['user', user(`u${i}`, { name, email: `u${i}@team.test`, team: `team ${name}` })]),
        ...mixed.map((id): Entity => ['customer', customer(id, { lastActivityAt: T })]),
      )
      expect((await store.listUsers()).map((u) => u.name)).toEqual(bytewise)
      expect(await store.teamsInUse()).toEqual(bytewise.map((name) => `team ${name}`))
      expect(ids(await store.searchCustomers({ scope: null, limit: 50, offset: 0 }))).toEqual(bytewise)
      await store.write(async (w) => {
        for (const id of mixed) await w.insertToken({ id, tokenHash: `hash ${id}`, userId: 'u0', label: null, createdAt: T })
      })
      expect(ids(await store.listApiTokens('u0'))).toEqual(bytewise)
    })
  })

  describe('change log', () => {
    /**
     * Seq 1 user u1 (everyone); 2–3 alice and her address, 4–5 her conversation in A and its
     * message; 6–9 bob the same in B; 10 carol, who has no conversation (only readers of every inbox).
     */
    async function seedLog(): Promise<void> {
      await seed(store, ['user', user('u1')])
      const ca = conversation('ca', 'alice', 'A')
      await seed(
        store,
        ['customer', customer('alice')],
        ['identity', identity('alice-email', 'alice', 'email', 'alice@x.test')],
        ['conversation', ca],
        ['message', message('ma', ca)],
      )
      const cb = conversation('cb', 'bob', 'B')
      await seed(
        store,
        ['customer', customer('bob')],
        ['identity', identity('bob-phone', 'bob', 'phone', '+15550001')],
        ['conversation', cb],
        ['message', message('mb', cb)],
      )
      await seed(store, ['customer', customer('carol')])
    }

    const pull = async (after: number, limit: number, scope: readonly string[] | null): Promise<[string[], number, boolean]> => {
      const page = await store.changesAfter(after, limit, scope)
      return [ids(page.changes), page.cursor, page.hasMore]
    }

    it('reads every change after a seq with who may see it, for a node fanning out another node\'s commits', async () => {
      await seedLog()
      const since = await store.changesSince(3, 4)
      expect(since.map((c) => [c.seq, c.id, c.inbox, c.customerId])).toEqual([
        [4, 'ca', 'A', null],
        [5, 'ma', 'A', null],
        [6, 'bob', null, 'bob'],
        [7, 'bob-phone', null, 'bob'],
      ])
      expect(since[0]).toMatchObject({ entity: 'conversation', op: 'upsert', data: conversation('ca', 'alice', 'A') })
      expect(await store.changesSince(10, 100)).toEqual([])
    })

    it('gives every change to a reader of every inbox, in seq order, whole', async () => {
      await seedLog()
      const page = await store.changesAfter(0, 100, null)
      expect(page.changes.map((c) => c.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      expect(ids(page.changes)).toEqual(['u1', 'alice', 'alice-email', 'ca', 'ma', 'bob', 'bob-phone', 'cb', 'mb', 'carol'])
      expect(page.changes[0]).toEqual({ seq: 1, entity: 'user', id: 'u1', op: 'upsert', data: user('u1') })
      expect(page.changes.map((c) => c.entity)).toEqual([
        'user',
        'customer',
        'identity',
        'conversation',
        'message',
        'customer',
        'identity',
        'conversation',
        'message',
        'customer',
      ])
      expect(page.cursor).toBe(10)
      expect(page.hasMore).toBe(false)
    })

    it('gives a scoped reader its inboxes’ rows, their customers’ rows, and users', async () => {
      await seedLog()
      expect(await pull(0, 100, ['A'])).toEqual([['u1', 'alice', 'alice-email', 'ca', 'ma'], 10, false])
      expect(await pull(0, 100, ['B'])).toEqual([['u1', 'bob', 'bob-phone', 'cb', 'mb'], 10, false])
      expect(await pull(0, 100, ['A', 'B'])).toEqual([['u1', 'alice', 'alice-email', 'ca', 'ma', 'bob', 'bob-phone', 'cb', 'mb'], 10, false])
      expect(await pull(0, 100, [])).toEqual([['u1'], 10, false])
      expect(await pull(0, 100, ['Z'])).toEqual([['u1'], 10, false])
    })

    it('pages the log: the cursor stops at the last change given while there is more, then moves past what the reader may not see', async () => {
      await seedLog()
      expect(await pull(0, 2, ['A'])).toEqual([['u1', 'alice'], 2, true])
      expect(await pull(2, 2, ['A'])).toEqual([['alice-email', 'ca'], 4, true])
      // The last visible change fills the page exactly: there is no more, and the cursor moves to the end.
      expect(await pull(4, 1, ['A'])).toEqual([['ma'], 10, false])
      expect(await pull(5, 2, ['A'])).toEqual([[], 10, false])
      expect(await pull(0, 5, ['B'])).toEqual([['u1', 'bob', 'bob-phone', 'cb', 'mb'], 10, false])
      expect(await pull(0, 4, ['B'])).toEqual([['u1', 'bob', 'bob-phone', 'cb'], 8, true])
      expect(await pull(10, 5, null)).toEqual([[], 10, false])
      // A cursor ahead of the log stays where it is.
      expect(await pull(99, 5, null)).toEqual([[], 99, false])
    })

    it('moves a reader’s cursor past later changes it may not see', async () => {
      await seedLog()
      const [, cursor] = await pull(0, 100, ['A'])
      const cb = (await store.getConversation('cb'))!
      await seed(store, ['message', message('mb2', cb)], ['customer', customer('carol', { name: 'Carol 2' })])
      expect(await pull(cursor, 100, ['A'])).toEqual([[], 12, false])
      expect(await pull(cursor, 100, ['B'])).toEqual([['mb2'], 12, false])
      expect(await pull(cursor, 100, null)).toEqual([['mb2', 'carol'], 12, false])
    })

    it('shows a customer’s rows to readers of an inbox once the customer has a conversation there', async () => {
      await seedLog()
      // carol's row (seq 10) was hidden from readers of A; a conversation in A shows it from then on.
      await seed(store, ['conversation', conversation('cc', 'carol', 'A')])
      const [seen] = await pull(0, 100, ['A'])
      expect(seen).toContain('carol')
    })

    it('logs a customer and their addresses again when their first conversation in an inbox arrives', async () => {
      const first = await seed(
        store,
        ['customer', customer('dan')],
        ['identity', identity('dan-email', 'dan', 'email', 'dan@x.test')],
        ['identity', identity('dan-phone', 'dan', 'phone', '+15550009')],
        ['conversation', conversation('d1', 'dan', 'A')],
      )
      // Logged in this very transaction: nothing to log again.
      expect(first.map((c) => c.id)).toEqual(['dan', 'dan-email', 'dan-phone', 'd1'])
      const [, cursorB] = await pull(0, 100, ['B'])
      expect(await pull(0, 100, ['B'])).toEqual([[], 4, false])

      const second = await seed(store, ['conversation', conversation('d2', 'dan', 'B')])
      expect(second.map((c) => [c.seq, c.entity, c.id, c.inbox, c.customerId])).toEqual([
        [5, 'conversation', 'd2', 'B', null],
        [6, 'customer', 'dan', null, 'dan'],
        [7, 'identity', 'dan-email', null, 'dan'],
        [8, 'identity', 'dan-phone', null, 'dan'],
      ])
      expect(second[1]!.data).toEqual(await store.getCustomer('dan'))
      expect(await pull(cursorB, 100, ['B'])).toEqual([['d2', 'dan', 'dan-email', 'dan-phone'], 8, false])

      // A second conversation in an inbox the customer is already in logs only itself.
      expect((await seed(store, ['conversation', conversation('d3', 'dan', 'B')])).map((c) => c.id)).toEqual(['d3'])
      // So does an update that leaves the conversation where it was.
      expect((await seed(store, ['conversation', conversation('d3', 'dan', 'B', { status: 'pending' })])).map((c) => c.id)).toEqual(['d3'])

      // A conversation moved to an inbox new to the customer logs them again.
      expect((await seed(store, ['conversation', conversation('d1', 'dan', 'C')])).map((c) => c.id)).toEqual([
        'd1',
        'dan',
        'dan-email',
        'dan-phone',
      ])
      // As does one moved to a customer who had none in its inbox (a merge).
      await seed(store, ['customer', customer('eve')], ['conversation', conversation('e1', 'eve', 'A')])
      expect((await seed(store, ['conversation', conversation('e1', 'dan', 'A')])).map((c) => c.id)).toEqual([
        'e1',
        'dan',
        'dan-email',
        'dan-phone',
      ])
    })

    it('does not log a customer again for a conversation in an inbox where they already have one', async () => {
      await seed(store, ['customer', customer('dan')], ['conversation', conversation('d1', 'dan', 'A')])
      await seed(store, ['customer', customer('eve')], ['conversation', conversation('e1', 'eve', 'A')])
      // dan already has d1 in A: moving e1 to dan logs only e1.
      expect((await seed(store, ['conversation', conversation('e1', 'dan', 'A')])).map((c) => c.id)).toEqual(['e1'])
    })

    /** The rows a reader holds after the changes, as a cache applies them: an erased customer's rows go with them. */
    function replay(changes: readonly { entity: EntityName; id: string; op: 'upsert' | 'delete'; data: Record<string, unknown> | null }[]): Map<string, unknown> {
      const rows = new Map<string, Record<string, unknown>>()
      for (const change of changes) {
        if (change.entity === 'customer' && change.op === 'delete') {
          for (const [key, row] of rows) if (row.customerId === change.id) rows.delete(key)
        }
        if (change.op === 'delete' || !change.data) rows.delete(`${change.entity}:${change.id}`)
        else rows.set(`${change.entity}:${change.id}`, change.data)
      }
      return rows
    }

    /** Every change a reader gets pulling from the start in pages of `limit`. */
    async function pullAll(scope: readonly string[] | null, limit: number, latest: boolean): Promise<Change[]> {
      const changes: Change[] = []
      let cursor = 0
      for (;;) {
        const page = await store.changesAfter(cursor, limit, scope, [], { latest })
        changes.push(...page.changes)
        cursor = page.cursor
        if (!page.hasMore) return changes
      }
    }

    it('gives a pull of the latest changes only the last change of each row among the same readers', async () => {
      await seedLog()
      await seed(store, ['customer', customer('alice', { name: 'Alice 2' })])
      await seed(store, ['conversation', conversation('ca', 'alice', 'A', { status: 'pending' })])
      // cb moves from B to A: its change in A is not one readers of B see, so theirs stays; bob is logged again.
      await seed(store, ['conversation', conversation('cb', 'bob', 'A')])
      const seqs = async (scope: readonly string[] | null) => (await store.changesAfter(0, 100, scope, [], { latest: true })).changes.map((c) => `${c.seq} ${c.id}`)
      expect(await seqs(['A'])).toEqual(['1 u1', '3 alice-email', '5 ma', '11 alice', '12 ca', '13 cb', '14 bob', '15 bob-phone'])
      expect(await seqs(['B'])).toEqual(['1 u1', '8 cb', '9 mb'])
      expect(await seqs(null)).toEqual(['1 u1', '3 alice-email', '5 ma', '8 cb', '9 mb', '10 carol', '11 alice', '12 ca', '13 cb', '14 bob', '15 bob-phone'])
      // Without it, every change.
      expect((await store.changesAfter(0, 100, ['A'])).changes).toHaveLength(12)
    })

    it('leaves a reader of the latest changes, in pages of any size, with the rows every change gives, across an erasure and a restore', async () => {
      await seedLog()
      const ca = (await store.getConversation('ca'))!
      await seed(store, ['message', message('ma', ca, { deliveryStatus: 'read' })], ['conversation', { ...ca, status: 'resolved' }])
      await seed(store, ['customer', customer('bob', { name: 'Bob 2' })], ['conversation', conversation('cb', 'bob', 'A')])
      const held = [
        { entity: 'customer', data: (await store.getCustomer('alice'))! },
        { entity: 'identity', data: (await store.identitiesOf('alice'))[0]! },
        { entity: 'conversation', data: (await store.getConversation('ca'))! },
        { entity: 'message', data: (await store.getMessage('ma'))! },
      ] as HeldEntity[]
      const erasure = { customerId: 'alice', customerIds: ['alice'], name: 'Alice', requestedBy: 'u1', requestedAt: T, purgeAt: T + 1, immediate: false }
      await store.write((w) => w.holdErasure(erasure, held), ACTOR)
      await seed(store, ['customer', customer('carol', { name: 'Carol 2' })], ['conversation', conversation('cc', 'carol', 'B')])
      // Restored: put back as the restore does, then changed again.
      await seed(store, ...held.map((h) => [h.entity, h.data] as Entity))
      await store.write((w) => w.releaseErasure('alice'), ACTOR)
      await seed(store, ['conversation', { ...ca, status: 'open' }])
      for (const scope of [null, ['A'], ['B'], ['A', 'B']]) {
        const every = await pullAll(scope, 100, false)
        for (const limit of [1, 2, 3, 100]) {
          const latest = await pullAll(scope, limit, true)
          expect(replay(latest), `scope ${JSON.stringify(scope)}, pages of ${limit}`).toEqual(replay(every))
          expect(latest.length).toBeLessThan(every.length)
        }
      }
    })

    it('tells the inbox of each item from its conversation', async () => {
      await seed(store, ['customer', customer('alice')], ['conversation', conversation('c1', 'alice', 'Sales')])
      const conv = (await store.getConversation('c1'))!
      const changes = await seed(
        store,
        ['message', message('m1', conv)],
        ['note', note('n1', conv)],
        ['call', call('k1', conv)],
        ['event', event('e1', conv)],
        ['user', user('u1')],
      )
      expect(changes.map((c) => [c.id, c.inbox, c.customerId])).toEqual([
        ['m1', 'Sales', null],
        ['n1', 'Sales', null],
        ['k1', 'Sales', null],
        ['e1', 'Sales', null],
        ['u1', null, null],
      ])
    })
  })

  describe('summaries', () => {
    const summary = (id: string, over: Partial<Summary>): Summary => ({
      id,
      kind: 'customer_story',
      customerId: 'alice',
      conversationId: null,
      callId: null,
      text: 'Asked: a refund for order 88213.',
      facts: [{ kind: 'identifier', text: 'Order 88213', value: '88213', sourceIds: ['ma', 'ma2'] }],
      provider: 'embedded',
      model: null,
      fallbackReason: null,
      coversItemId: 'ma2',
      coversThrough: T + 5,
      itemCount: 2,
      inboxes: ['A', 'B'],
      generatedAt: T + 6,
      updatedOnDevice: null,
      ...over,
    })

    it('sends a story only to readers of every inbox it read, and a wrap-up to readers of its conversation’s inbox', async () => {
      const ca = conversation('ca', 'alice', 'A')
      const cb = conversation('cb', 'alice', 'B')
      await seed(store, ['customer', customer('alice')], ['conversation', ca], ['conversation', cb])
      const story = summary('story:alice', {})
      const wrapUp = summary('wrapup:cb', { kind: 'wrap_up', conversationId: 'cb', inboxes: ['B'] })
      const narrow = summary('story:alice-a', { inboxes: ['A'] })
      await seed(store, ['summary', story], ['summary', wrapUp], ['summary', narrow])
      const summaries = async (scope: string[] | null) =>
        (await store.changesAfter(0, 100, scope)).changes.filter((c) => c.entity === 'summary').map((c) => c.id)
      expect(await summaries(null)).toEqual(['story:alice', 'wrapup:cb', 'story:alice-a'])
      expect(await summaries(['A', 'B', 'C'])).toEqual(['story:alice', 'wrapup:cb', 'story:alice-a'])
      expect(await summaries(['A'])).toEqual(['story:alice-a'])
      expect(await summaries(['B'])).toEqual(['wrapup:cb'])
      const stored = await store.changesSince(0, 100)
      expect(stored.find((c) => c.id === 'story:alice')).toMatchObject({ inbox: null, customerId: 'alice', covers: ['A', 'B'] })
      expect(stored.find((c) => c.id === 'wrapup:cb')).toMatchObject({ inbox: 'B', customerId: null, covers: null })
      expect(await store.getSummary('story:alice')).toEqual(story)
      expect((await store.summariesOf('alice')).map((x) => x.id).sort()).toEqual(['story:alice', 'story:alice-a', 'wrapup:cb'])
      expect((await store.getSummaries(['wrapup:cb', 'wrapup:nowhere', 'story:alice'])).sort((x, y) => x.id.localeCompare(y.id))).toEqual([story, wrapUp])
      expect(await store.getSummaries([])).toEqual([])
    })

    it('adds up a day’s model use, keeps one rating per user and version, and hands out story requests once', async () => {
      await seed(store, ['user', user('u1')], ['customer', customer('alice')], ['customer', customer('bob')])
      expect(await store.summaryUsage('2026-12-04')).toEqual({ requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 })
      const use = { requests: 1, promptTokens: 3_000_000_000, completionTokens: 20, failures: 1, fallbacks: 0 }
      await store.write((w) => w.addSummaryUsage('2026-12-04', use))
      await store.write((w) => w.addSummaryUsage('2026-12-04', { ...use, fallbacks: 1 }))
      expect(await store.summaryUsage('2026-12-04')).toEqual({ requests: 2, promptTokens: 6_000_000_000, completionTokens: 40, failures: 2, fallbacks: 1 })

      const rating = { summaryId: 'story:alice', userId: 'u1', generatedAt: T, rating: 'up' as const, provider: 'model' as const, model: 'm', summaryText: 'text', createdAt: T + 1 }
      await store.write((w) => w.putSummaryFeedback(rating))
      await store.write((w) => w.putSummaryFeedback({ ...rating, rating: 'down', createdAt: T + 2 }))
      await store.write((w) => w.putSummaryFeedback({ ...rating, generatedAt: T + 9, createdAt: T + 3 }))
      expect((await store.summaryFeedback(10)).map((f) => [f.generatedAt, f.rating])).toEqual([
        [T + 9, 'up'],
        [T, 'down'],
      ])

      await store.write(async (w) => {
        await w.requestSummary('bob', 'u1', T + 2)
        await w.requestSummary('alice', 'u1', T + 1)
        await w.requestSummary('alice', 'u1', T + 5)
      })
      // Alice's first request stands (the oldest): hers is handed out before Bob's.
      expect((await store.write((w) => w.takeSummaryRequests(10))).result).toEqual(['alice', 'bob'])
      expect((await store.write((w) => w.takeSummaryRequests(10))).result).toEqual([])
    })
  })

  describe('dead letters', () => {
    it('keeps dead letters, lists the due ones soonest first, and each reader only those of its inboxes', async () => {
      const { result: letters } = await store.write(async (w) => [
        await w.addDeadLetter('inbound', 'A', { channel: 'email', nested: { n: 1 } }, 'err 1', T + 300),
        await w.addDeadLetter('inbound', 'B', ['x', 2], 'err 2', T + 100),
        await w.addDeadLetter('refused-webhook', null, 'plain text', 'err 3', T + 200),
        await w.addDeadLetter('inbound', 'A', { channel: 'sms' }, 'err 4', T + 100, userActor('u1')),
      ])
      const [l1, l2, l3, l4] = letters
      expect(l1).toBeGreaterThan(0)
      expect([...letters].sort((a, b) => a - b)).toEqual(letters)
      expect(new Set(letters).size).toBe(4)

      const all = await store.deadLetters(null, 10)
      expect(all.map((l) => l.id)).toEqual([l2, l4, l3, l1])
      expect(all[1]).toEqual({
        id: l4,
        kind: 'inbound',
        inbox: 'A',
        payload: { channel: 'sms' },
        error: 'err 4',
        attempts: 1,
        nextAttemptAt: T + 100,
        actor: 'user:u1',
      })
      expect(all.map((l) => [l.payload, l.actor])).toEqual([
        [['x', 2], null],
        [{ channel: 'sms' }, 'user:u1'],
        ['plain text', null],
        [{ channel: 'email', nested: { n: 1 } }, null],
      ])
      expect((await store.deadLetters(null, 2)).map((l) => l.id)).toEqual([l2, l4])
      expect((await store.deadLetters(['A'], 10)).map((l) => l.id)).toEqual([l4, l1])
      expect((await store.deadLetters(['B', 'Z'], 10)).map((l) => l.id)).toEqual([l2])
      expect(await store.deadLetters([], 10)).toEqual([])

      // A payload is kept exactly as it arrived, whatever characters it holds.
      const odd = { text: 'nul \u0000 here', quote: '"\'\\', emoji: '😀', big: 2 ** 53 - 1, list: [null, true, 0.5] }
      const { result: l5 } = await store.write((w) => w.addDeadLetter('inbound', 'A', odd, 'err 5', T + 900))
      expect((await store.deadLetters(['A'], 10)).find((l) => l.id === l5)?.payload).toEqual(odd)

      expect((await store.dueDeadLetters(T + 99, 10)).map((l) => l.id)).toEqual([])
      expect((await store.dueDeadLetters(T + 100, 10)).map((l) => l.id)).toEqual([l2, l4])
      expect((await store.dueDeadLetters(T + 1000, 3)).map((l) => l.id)).toEqual([l2, l4, l3])
    })

    it('retries a dead letter later, counting the attempt, and deletes one', async () => {
      const { result: [l1, l2] } = await store.write(async (w) => [
        await w.addDeadLetter('inbound', 'A', {}, 'first', T + 100),
        await w.addDeadLetter('inbound', 'A', {}, 'other', T + 200),
      ])
      await store.write((w) => w.retryDeadLetterLater(l1!, 'second', T + 500))
      await store.write((w) => w.retryDeadLetterLater(l1!, 'third', T + 600))
      const letters = await store.deadLetters(null, 10)
      expect(letters.map((l) => [l.id, l.attempts, l.error, l.nextAttemptAt])).toEqual([
        [l2, 1, 'other', T + 200],
        [l1, 3, 'third', T + 600],
      ])
      expect((await store.dueDeadLetters(T + 300, 10)).map((l) => l.id)).toEqual([l2])
      await store.write((w) => w.deleteDeadLetter(l2!))
      expect((await store.deadLetters(null, 10)).map((l) => l.id)).toEqual([l1])
      // A new letter never takes the number of a deleted one.
      const { result: l3 } = await store.write((w) => w.addDeadLetter('inbound', 'A', {}, 'new', T))
      expect(l3).toBeGreaterThan(l2!)
    })
  })

  describe('suggestions, merges and connector state', () => {
    async function seedPeople(): Promise<void> {
      await seed(
        store,
        ['customer', customer('a')],
        ['customer', customer('b')],
        ['customer', customer('c')],
        ['conversation', conversation('conv-a', 'a', 'A')],
      )
    }
    const suggestion = (id: string, customerId: string, candidateId: string, createdAt: number): CustomerSuggestion => ({
      id,
      customerId,
      candidateId,
      reason: 'same_name_and_email_domain',
      detail: `${customerId} looks like ${candidateId}`,
      conversationId: 'conv-a',
      status: 'open',
      createdAt,
    })

    it('keeps one suggestion per pair of customers, whichever way round, and lists them newest first', async () => {
      await seedPeople()
      const added = await store.write(async (w) => [
        await w.addCustomerSuggestion(suggestion('s1', 'a', 'b', T)),
        await w.addCustomerSuggestion(suggestion('s2', 'b', 'a', T + 1)),
        await w.addCustomerSuggestion(suggestion('s3', 'a', 'c', T + 2)),
        await w.addCustomerSuggestion({ ...suggestion('s4', 'c', 'a', T + 3), reason: 'disclosed_identity_of_other_customer' }),
      ])
      expect(added.result).toEqual([true, false, true, false])
      expect(added.changes).toEqual([])
      expect(await store.getCustomerSuggestion('s1')).toEqual(suggestion('s1', 'a', 'b', T))
      expect(await store.getCustomerSuggestion('s2')).toBeNull()
      expect(ids(await store.customerSuggestions('a'))).toEqual(['s3', 's1'])
      expect(ids(await store.customerSuggestions('b'))).toEqual(['s1'])
      expect(ids(await store.customerSuggestions('c'))).toEqual(['s3'])
    })

    it('settles the open suggestions between two customers, named either way round', async () => {
      await seedPeople()
      await store.write(async (w) => {
        await w.addCustomerSuggestion(suggestion('s1', 'a', 'b', T))
        await w.addCustomerSuggestion(suggestion('s3', 'a', 'c', T + 2))
      })
      const settled = await store.write((w) => w.settleSuggestionsBetween('b', 'a', 'dismissed'))
      expect(settled.result).toEqual([{ ...suggestion('s1', 'a', 'b', T), status: 'dismissed' }])
      expect(settled.changes).toEqual([])
      expect((await store.getCustomerSuggestion('s1'))?.status).toBe('dismissed')
      expect((await store.getCustomerSuggestion('s3'))?.status).toBe('open')
      // Only open ones are settled.
      expect((await store.write((w) => w.settleSuggestionsBetween('a', 'b', 'accepted'))).result).toEqual([])
      expect((await store.getCustomerSuggestion('s1'))?.status).toBe('dismissed')

      await store.write((w) => w.setSuggestionStatus('s1', 'open'))
      expect((await store.write((w) => w.settleSuggestionsBetween('a', 'b', 'accepted'))).result.map((s) => [s.id, s.status])).toEqual([
        ['s1', 'accepted'],
      ])
      expect((await store.write((w) => w.settleSuggestionsBetween('c', 'a', 'accepted'))).result.map((s) => [s.id, s.status])).toEqual([
        ['s3', 'accepted'],
      ])
      expect((await store.customerSuggestions('a')).map((s) => [s.id, s.status])).toEqual([
        ['s3', 'accepted'],
        ['s1', 'accepted'],
      ])
    })

    it('finds the events that announced a suggestion', async () => {
      await seedPeople()
      await store.write((w) => w.addCustomerSuggestion(suggestion('s1', 'a', 'b', T)))
      const conv = (await store.getConversation('conv-a'))!
      await seed(
        store,
        ['conversation', conversation('conv-other', 'a', 'A')],
        ['event', event('ev1', conv, { type: 'identity_suggested', data: { suggestionId: 's1', candidateId: 'b' } })],
        ['event', event('ev2', conv, { type: 'identity_suggested', data: { suggestionId: 's9' } })],
        ['event', event('ev3', conv, { type: 'status_changed', data: { suggestionId: 's1' } })],
      )
      const other = (await store.getConversation('conv-other'))!
      await seed(store, ['event', event('ev4', other, { type: 'identity_suggested', data: { suggestionId: 's1' } })])
      const announced = (await store.conversationItems('conv-a')).events.filter((e) => e.id === 'ev1')
      expect(announced).toHaveLength(1)
      expect(await store.suggestionEvents('s1')).toEqual(announced)
    })

    it('records a merge with what it moved, and marks it undone', async () => {
      await seedPeople()
      const merge: CustomerMerge = {
        id: 'm1',
        sourceId: 'a',
        targetId: 'b',
        moved: {
          identityIds: ['i1', 'i2'],
          conversationIds: ['conv-a'],
          labels: ['vip'],
          attributeKeys: ['plan'],
          consent: { promotional: null, sms: true },
          targetConsent: {
            before: { consent: {}, consentChangedAt: null },
            after: { consent: { sms: true }, consentChangedAt: { sms: T } },
          },
        },
        mergedBy: 'u1',
        mergedAt: T,
        undoneAt: null,
      }
      await store.write((w) => w.addCustomerMerge(merge))
      expect(await store.getCustomerMerge('m1')).toEqual(merge)
      await store.write((w) => w.markMergeUndone('m1', T + 9))
      expect(await store.getCustomerMerge('m1')).toEqual({ ...merge, undoneAt: T + 9 })
    })

    it('keeps each connector’s resume points, replaced when saved again', async () => {
      expect(await store.getConnectorState('imap:support', 'INBOX')).toBeNull()
      await store.write(async (w) => {
        await w.setConnectorState('imap:support', 'INBOX', { uidValidity: 5, lastUid: 1_234_567_890_123, seen: ['a', 'b'] })
        await w.setConnectorState('imap:support', 'Archive', 'plain')
        await w.setConnectorState('imap:sales', 'INBOX', 42)
      })
      expect(await store.getConnectorState('imap:support', 'INBOX')).toEqual({ uidValidity: 5, lastUid: 1_234_567_890_123, seen: ['a', 'b'] })
      expect(await store.getConnectorState('imap:support', 'Archive')).toBe('plain')
      expect(await store.getConnectorState('imap:sales', 'INBOX')).toBe(42)
      await store.write((w) => w.setConnectorState('imap:support', 'INBOX', { uidValidity: 6, lastUid: 1 }))
      expect(await store.getConnectorState('imap:support', 'INBOX')).toEqual({ uidValidity: 6, lastUid: 1 })
      expect(await store.lastSeq()).toBe(0)
    })
  })

  describe('reporting events', () => {
    const event = (id: string, conversationId: string, inbox: string, at: number, extra: Partial<ReportingEvent> = {}): ReportingEvent => ({
      id,
      kind: 'reply',
      conversationId,
      customerId: 'alice',
      inbox,
      channel: 'email',
      team: null,
      agentId: 'u1',
      at,
      calendarMs: 90_000,
      businessMs: 30_000,
      afterHours: true,
      fromChannel: null,
      rating: null,
      slaTarget: null,
      ...extra,
    })

    it('reads back the events of a span in the inboxes of a scope, by time, and knows whether a conversation has one of a kind', async () => {
      await seed(store, ['customer', customer('alice')], ['conversation', conversation('ca', 'alice', 'A')], ['conversation', conversation('cb', 'alice', 'B')])
      const early = event('e1', 'ca', 'A', T, { kind: 'first_response', afterHours: false, rating: null })
      const answered = event('e2', 'cb', 'B', T + 5, { kind: 'csat_answered', calendarMs: null, businessMs: null, rating: 4, slaTarget: null })
      const late = event('e3', 'ca', 'A', T + 10, { kind: 'channel_switched', fromChannel: 'sms', slaTarget: 'first_response' })
      await seed(store, ['reportingEvent', late], ['reportingEvent', answered], ['reportingEvent', early])
      expect(await store.reportingEventsBetween(T, T + 10, null)).toEqual([early, answered])
      expect(await store.reportingEventsBetween(T, T + 11, ['A'])).toEqual([early, late])
      expect(await store.reportingEventsBetween(T + 11, T + 20, null)).toEqual([])
      expect(await store.firstReportingEvent('ca', 'first_response')).toEqual(early)
      expect(await store.firstReportingEvent('cb', 'first_response')).toBeNull()
    })

    it('lists the conversations not resolved in the inboxes of a scope', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('open-a', 'alice', 'A')],
        ['conversation', conversation('done-a', 'alice', 'A', { status: 'resolved' })],
        ['conversation', conversation('snoozed-b', 'alice', 'B', { status: 'snoozed', snoozedUntil: T + 1 })],
      )
      expect(ids(await store.unresolvedConversations(null))).toEqual(['open-a', 'snoozed-b'])
      expect(ids(await store.unresolvedConversations(['A']))).toEqual(['open-a'])
    })
  })

  describe('retention', () => {
    it('lists resolved conversations last updated before a time, oldest first, a page at a time', async () => {
      await seed(
        store,
        ['customer', customer('alice')],
        ['conversation', conversation('r2', 'alice', 'A', { status: 'resolved', updatedAt: T + 1 })],
        ['conversation', conversation('r1', 'alice', 'A', { status: 'resolved', updatedAt: T + 1 })],
        ['conversation', conversation('r3', 'alice', 'B', { status: 'resolved', updatedAt: T + 5 })],
        ['conversation', conversation('o1', 'alice', 'A', { status: 'open', updatedAt: T })],
        ['conversation', conversation('p1', 'alice', 'A', { status: 'pending', updatedAt: T })],
      )
      expect(ids(await store.resolvedConversationsBefore(T + 5, null, 10))).toEqual(['r1', 'r2'])
      expect(ids(await store.resolvedConversationsBefore(T + 10, null, 1))).toEqual(['r1'])
      expect(ids(await store.resolvedConversationsBefore(T + 10, { at: T + 1, id: 'r1' }, 10))).toEqual(['r2', 'r3'])
    })

    it('lists customers with no conversation and no activity since a time, by id, a page at a time', async () => {
      await seed(
        store,
        ['customer', customer('d-empty', { lastActivityAt: T })],
        ['customer', customer('a-empty', { lastActivityAt: T })],
        ['customer', customer('b-recent', { lastActivityAt: T + 10 })],
        ['customer', customer('c-busy', { lastActivityAt: T })],
        ['conversation', conversation('v', 'c-busy', 'A')],
      )
      expect(ids(await store.customersWithoutConversations(T + 5, null, 10))).toEqual(['a-empty', 'd-empty'])
      expect(ids(await store.customersWithoutConversations(T + 5, 'a-empty', 10))).toEqual(['d-empty'])
    })

    it('deletes a conversation and all in it for good: earlier changes become tombstones and a delete of each row is appended', async () => {
      await seed(store, ['customer', customer('alice')], ['conversation', conversation('gone', 'alice', 'A')], ['conversation', conversation('kept', 'alice', 'A')])
      const gone = (await store.getConversation('gone'))!
      const kept = (await store.getConversation('kept'))!
      const url = '/attachments/3f'
      await seed(
        store,
        ['message', message('m1', gone, { text: 'words nobody may keep', attachments: [{ name: 'a.png', contentType: 'image/png', size: 1, url }] })],
        ['note', note('n1', gone)],
        ['call', call('k1', gone)],
        ['event', event('e1', gone)],
        ['message', message('m2', kept)],
      )
      const before = await store.lastSeq()
      const { result: urls } = await store.write((w) => w.deleteConversation('gone'), ACTOR)
      expect(urls).toEqual([url])
      expect([await store.getConversation('gone'), await store.getMessage('m1'), await store.getNote('n1'), await store.getCall('k1'), await store.getEvent('e1')]).toEqual([
        null,
        null,
        null,
        null,
        null,
      ])
      expect(await store.getMessage('m2')).not.toBeNull()
      const log = await store.changesSince(0, 1000)
      expect(JSON.stringify(log)).not.toContain('words nobody may keep')
      const appended = log.filter((c) => c.seq > before)
      expect(appended.map((c) => `${c.op} ${c.entity} ${c.id} ${c.inbox}`).sort()).toEqual(
        ['call k1', 'conversation gone', 'event e1', 'message m1', 'note n1'].map((e) => `delete ${e} A`),
      )
      expect(await store.attachmentInUse(url)).toBe(false)
    })
  })

  describe('audit log', () => {
    const entry = (id: string, at: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
      id,
      at,
      recordedAt: at + 5,
      actor: userActor('u1'),
      actorName: 'Ada',
      action: 'timeline.opened',
      target: { type: 'customer', id: 'c1' },
      origin: { via: 'app', ip: '127.0.0.1', userAgent: null, clientId: 'device-1' },
      details: {},
      ...over,
    })

    it('keeps entries as written, outside the change log, newest first', async () => {
      const merged = entry('a2', T + 2, {
        actor: integrationActor('i1'),
        actorName: 'Zapier',
        action: 'customer.merged',
        target: { type: 'customer', id: 'c2' },
        origin: { via: 'integration', ip: '10.0.0.1', userAgent: 'curl/8', clientId: null },
        details: { otherCustomerId: 'c1', mergeId: 'm1', consent: { promotional: false } },
      })
      await store.write(async (w) => {
        await w.appendAudit(entry('a1', T + 1))
        await w.appendAudit(merged)
      })
      expect(await store.auditEntries({ limit: 10 })).toEqual({ items: [merged, entry('a1', T + 1)], next: null })
      expect(await store.lastSeq()).toBe(0)
    })

    it('rolls an entry back with the write it was part of', async () => {
      await expect(
        store.write(async (w) => {
          await w.appendAudit(entry('a1', T))
          throw new Error('the action failed')
        }),
      ).rejects.toThrow('the action failed')
      expect((await store.auditEntries({ limit: 10 })).items).toEqual([])
    })

    it('filters by actor, action, target and time, and pages by time then id', async () => {
      await store.write(async (w) => {
        await w.appendAudit(entry('a1', T))
        await w.appendAudit(entry('a2', T + 1, { actor: userActor('u2') }))
        await w.appendAudit(entry('a3', T + 1, { action: 'customer.exported' }))
        await w.appendAudit(entry('a4', T + 1, { target: { type: 'customer', id: 'c9' } }))
        await w.appendAudit(entry('a5', T + 3, { action: 'user.role_changed', target: { type: 'user', id: 'u2' } }))
      })
      const list = async (q: Parameters<Store['auditEntries']>[0]) => ids((await store.auditEntries(q)).items)
      expect(await list({ limit: 10, actor: userActor('u2') })).toEqual(['a2'])
      expect(await list({ limit: 10, action: 'customer.exported' })).toEqual(['a3'])
      expect(await list({ limit: 10, targetType: 'customer', targetId: 'c1' })).toEqual(['a3', 'a2', 'a1'])
      expect(await list({ limit: 10, targetType: 'user' })).toEqual(['a5'])
      expect(await list({ limit: 10, from: T + 1, to: T + 3 })).toEqual(['a4', 'a3', 'a2'])

      const seen: string[] = []
      let after: string | undefined
      do {
        const page = await store.auditEntries({ limit: 2, after })
        seen.push(...ids(page.items))
        after = page.next ?? undefined
      } while (after)
      expect(seen).toEqual(['a5', 'a4', 'a3', 'a2', 'a1'])
      await expect(store.auditEntries({ limit: 2, after: foreignCursor })).rejects.toThrow(InvalidCursorError)
    })

    it('prunes only the entries older than the date', async () => {
      await store.write(async (w) => {
        await w.appendAudit(entry('a1', T))
        await w.appendAudit(entry('a2', T + 10))
        await w.appendAudit(entry('a3', T + 20))
      })
      expect(await store.write((w) => w.pruneAudit(T + 10))).toEqual({ result: 1, changes: [] })
      expect(ids((await store.auditEntries({ limit: 10 })).items)).toEqual(['a3', 'a2'])
      expect((await store.write((w) => w.pruneAudit(T + 10))).result).toBe(0)
    })
  })
})
