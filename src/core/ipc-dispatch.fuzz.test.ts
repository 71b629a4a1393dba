import { join } from 'node:path'
import BetterSqlite3, { type Database } from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EntityName, EntityTypes } from '../shared/domain'
import { IPC_ARGS, IPC_METHODS, type IpcEventMessage, type IpcMethod, type IpcResponse } from '../shared/ipc'
import { serveIpc } from '../shared/ipc-bridge'
import type { Core } from './core'
import { CACHE_FILE, openCache } from './db/open'
import { createCore } from './index'
import { applyBatch } from './sync/apply'
import { changes, closedPort, conversation, customer, message, note, tempDir } from './testing/fixtures'

/**
 * Property-based fuzzing of the core's request dispatch, as both pipes feed it (serveIpc):
 * whatever `{id, method, args}` arrives, the answer is a result or an error of the protocol's
 * shape, nothing is thrown out of the dispatcher, and a refused request writes nothing to the cache.
 */

const RUNS = 200

/**
 * Methods that only read the cache: with any arguments their schema accepts, nothing is written
 * either. session.get and inbox.settings are left out: they take no arguments, and wait for the
 * server's answer, which an offline core does not get.
 */
const READ_ONLY = [
  'session.state',
  'users.list',
  'inbox.list',
  'inbox.counts',
  'search.query',
  'customer.get',
  'customer.timeline',
  'outbox.list',
  'sync.state',
  'draft.get',
  'canned.list',
  'customer.related',
  'customer.mergePreview',
  'views.list',
  'views.counts',
  'mentions.list',
] as const satisfies readonly IpcMethod[]

let dir: ReturnType<typeof tempDir>
let core: Core
/** A second connection to the cache file, which sees every commit the core makes. */
let observer: Database
let peer: ReturnType<typeof serveIpc>
const answers: (IpcResponse | IpcEventMessage)[] = []

beforeAll(async () => {
  dir = tempDir('threadline-ipc-fuzz-')
  // A server address nobody listens on: the core stays offline, and no request leaves this machine.
  const serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  const lena = customer('c-lena', { name: 'Lena Vogel' })
  const email = conversation('v-email', 'c-lena', { channel: 'email' })
  const items: { [E in EntityName]: [E, EntityTypes[E]] }[EntityName][] = [
    ['customer', lena],
    ['customer', customer('c-omar', { name: 'Omar Haddad' })],
    ['conversation', email],
    ['message', message('m-1', email, 1_000, { text: 'the lamp "arrived" broken* NEAR (shade) OR -glass' })],
    ['note', note('n-1', email, 2_000)],
  ]
  applyBatch(db, { after: 0, cursor: items.length, changes: changes(1, items) })
  db.close()
  core = await createCore({ dataDir: dir.path, serverUrl, token: 'offline-token' })
  observer = new BetterSqlite3(join(dir.path, CACHE_FILE), { readonly: true })
  peer = serveIpc(core, (m) => answers.push(m))
})

afterAll(async () => {
  peer?.dispose()
  observer?.close()
  await core?.close()
  dir?.remove()
})

/** Changes whenever another connection commits to the cache file. */
const dataVersion = (): number => observer.pragma('data_version', { simple: true }) as number

/** Names that are properties of every plain object: a dispatcher that indexes a map by input must not trip on them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'] as const

const text = (maxLength = 40) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }))
const anything = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...PROTOTYPE_NAMES), fc.jsonValue({ maxDepth: 1 })) },
)
/** Mostly a valid value, so that fuzzing reaches past the schema into the handler; else anything. */
const usually = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: anything })
const someId = fc.oneof(fc.constantFrom('c-lena', 'c-omar', 'v-email', 'm-1', 'n-1', 'nope'), text(140))
const cursor = fc.record({ at: fc.integer({ min: 0 }), id: someId })

/** Arguments of the read-only methods, all offered at once: each schema drops what its method does not take. */
const readArgs = fc.record(
  {
    view: usually(fc.constantFrom('all', 'mine', 'unassigned')),
    status: usually(fc.constantFrom('open', 'pending', 'snoozed', 'resolved')),
    limit: usually(fc.integer({ min: 1, max: 1_000 })),
    team: usually(text()),
    channel: usually(fc.constantFrom('email', 'sms', 'whatsapp', 'chat', 'voice')),
    sort: usually(fc.constantFrom('activity', 'waiting')),
    after: usually(fc.oneof(cursor, fc.record({ key: fc.integer(), id: someId }))),
    before: usually(cursor),
    until: usually(fc.integer({ min: 0 })),
    text: usually(text(60)),
    kinds: usually(fc.array(fc.constantFrom('message', 'note', 'customer'), { maxLength: 3 })),
    assigneeId: usually(fc.oneof(fc.constant(null), someId)),
    from: usually(fc.integer({ min: 0 })),
    to: usually(fc.integer({ min: 0 })),
    customerId: usually(someId),
    conversationId: usually(someId),
    sourceId: usually(someId),
    targetId: usually(someId),
    state: usually(fc.constantFrom('pending', 'failed')),
  },
  { requiredKeys: [] },
)

/** Full-text search syntax (quotes, operators, stars, parentheses) in what the agent types. */
const searchText = fc.oneof(text(60), fc.constantFrom('"', 'lamp*', 'NEAR(', 'a OR', 'AND', '-glass', '^x', '(shade)', 'col:x', '\\', "'", '*', 'broken"'))
/** Arguments built the way each of these methods takes them, so that most pass the schema. */
const argsOf: Partial<Record<(typeof READ_ONLY)[number], fc.Arbitrary<unknown>>> = {
  'search.query': fc.record(
    {
      text: searchText,
      kinds: fc.uniqueArray(fc.constantFrom('message', 'note', 'customer'), { maxLength: 3 }),
      channel: fc.constantFrom('email', 'sms', 'whatsapp', 'chat', 'voice'),
      status: fc.constantFrom('open', 'pending', 'snoozed', 'resolved'),
      assigneeId: fc.oneof(fc.constant(null), someId),
      from: fc.integer({ min: 0, max: 1_000 }),
      to: fc.integer({ min: 1_001 }),
      limit: fc.integer({ min: 1, max: 200 }),
    },
    { requiredKeys: ['text'] },
  ),
  'customer.timeline': fc.tuple(
    someId,
    fc.integer({ min: 1, max: 1_000 }),
    fc.oneof(fc.constant({}), cursor.map((before) => ({ before })), cursor.map((after) => ({ after })), fc.integer({ min: 0 }).map((until) => ({ until }))),
  ).map(([customerId, limit, position]) => ({ customerId, limit, ...position })),
  'inbox.list': fc.record(
    {
      view: fc.constantFrom('all', 'mine', 'unassigned'),
      status: fc.constantFrom('open', 'pending', 'snoozed', 'resolved'),
      limit: fc.integer({ min: 1, max: 1_000 }),
      team: fc.string({ minLength: 1, maxLength: 100 }),
      channel: fc.constantFrom('email', 'sms', 'whatsapp', 'chat', 'voice'),
      sort: fc.constantFrom('activity', 'waiting'),
      after: fc.record({ key: fc.integer(), id: someId }),
    },
    { requiredKeys: [] },
  ),
}
const readRequest = fc.constantFrom(...READ_ONLY).chain((method) => fc.tuple(fc.constant(method), argsOf[method] ? fc.oneof(argsOf[method], readArgs) : readArgs))

/** Sends one raw message through the bridge; returns the answers it produced (events aside). */
async function send(raw: unknown): Promise<IpcResponse[]> {
  const start = answers.length
  await peer.receive(raw)
  return answers.slice(start).filter((a): a is IpcResponse => 'id' in a)
}

function expectErrorAnswer(responses: IpcResponse[], id: number, code: string): void {
  expect(responses).toHaveLength(1)
  const [response] = responses
  expect(response).toMatchObject({ id, error: { code, message: expect.any(String) } })
}

describe('fuzzed IPC dispatch', () => {
  it('answers an unknown method with bad_request and writes nothing', async () => {
    const known = new Set<string>(IPC_METHODS)
    const method = fc
      .oneof(
        fc.constantFrom(...PROTOTYPE_NAMES, 'SESSION.GET', 'session.get ', 'session', '', 'drop.everything'),
        fc.constantFrom(...IPC_METHODS).map((m) => `${m}.x`),
        text(30),
      )
      .filter((m) => !known.has(m))
    await fc.assert(
      fc.asyncProperty(fc.integer(), method, anything, async (id, name, args) => {
        const before = dataVersion()
        expectErrorAnswer(await send({ id, method: name, args }), id, 'bad_request')
        expect(dataVersion()).toBe(before)
      }),
      { numRuns: RUNS },
    )
  })

  it('answers arguments a method refuses with bad_request and writes nothing', async () => {
    const request = fc
      .tuple(fc.integer(), fc.constantFrom(...IPC_METHODS), fc.oneof(anything, readArgs))
      .filter(([, m, args]) => !IPC_ARGS[m].safeParse(args ?? {}).success)
    await fc.assert(
      fc.asyncProperty(request, async ([id, method, args]) => {
        const before = dataVersion()
        expectErrorAnswer(await send({ id, method, args }), id, 'bad_request')
        expect(dataVersion()).toBe(before)
      }),
      { numRuns: RUNS },
    )
  })

  it('answers every read the schema accepts with a result or a reason, never an internal error, and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), readRequest, async (id, [method, args]) => {
        const before = dataVersion()
        const responses = await send({ id, method, args })
        expect(responses).toHaveLength(1)
        const [response] = responses
        expect(response?.id).toBe(id)
        if (response && 'error' in response) expect(response.error.code, `${method} ${JSON.stringify(args)}: ${response.error.message}`).not.toBe('internal')
        expect(dataVersion()).toBe(before)
      }),
      { numRuns: RUNS },
    )
  })

  it('drops a message that is not a request, answering it when it names an id, and never throws', async () => {
    const malformed = fc.oneof(
      anything,
      fc.record({ id: fc.oneof(fc.integer(), fc.double(), text(), fc.constant(null)), method: anything, args: anything }, { requiredKeys: [] }),
    )
    await fc.assert(
      fc.asyncProperty(malformed, async (raw) => {
        const before = dataVersion()
        const responses = await send(raw)
        expect(responses.length).toBeLessThanOrEqual(1)
        for (const r of responses) expect(r).toMatchObject({ id: expect.any(Number) })
        if (responses[0] && 'error' in responses[0]) expect(responses[0].error.code).not.toBe('internal')
        expect(dataVersion()).toBe(before)
      }),
      { numRuns: RUNS },
    )
  })
})
