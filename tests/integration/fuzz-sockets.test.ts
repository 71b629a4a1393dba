import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { io, type Socket } from 'socket.io-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { z } from 'zod'
import {
  CHAT_SOCKET_PATH,
  ChatError,
  ChatSession,
  IdentifyResponse,
  OkResponse,
  SendCodeResponse,
  SendResponse,
  type ChatClientToServerEvents,
  type ChatServerToClientEvents,
} from '../../src/shared/chat'
import type { IngestResult } from '../../src/shared/ingest'
import { PullResponse, PushResponse, SocketError, TypingResponse, WhoamiResponse } from '../../src/shared/sync'
import { connectClient, startTestServer, userWithToken, type SyncClient, type TestServer } from './server-fixtures'

/**
 * Property-based fuzzing of both socket.io protocols, the agents' sync socket and the visitors'
 * web chat socket: every acknowledgement is the event's response or an error of the shared shape,
 * the socket stays connected, and a refused payload stores nothing.
 */

const SITE = 'https://shop.example.test'
const CHAT_INBOX = 'Website chat'
const RUNS = 150
const ACK_TIMEOUT_MS = 5_000

type ChatClient = Socket<ChatServerToClientEvents, ChatClientToServerEvents>
/** A socket that emits arbitrary payloads, which the typed event maps rightly refuse. */
interface UntypedEmitter {
  emit(event: string, ...args: unknown[]): void
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> }
}
const untyped = (socket: Socket): UntypedEmitter => socket as unknown as UntypedEmitter

let t: TestServer
let agent: SyncClient
let chat: ChatClient
let known: IngestResult

beforeAll(async () => {
  t = await startTestServer({
    inboxes: [
      {
        name: CHAT_INBOX,
        channel: 'chat',
        connector: {
          type: 'webchat',
          secret: 'webchat-fuzz-secret-0123456789abcdef',
          allowedOrigins: [SITE],
          identitySecret: 'shop-backend-identity-secret-0123456789',
          // Every fuzzed send may be accepted: refusals here come from the payload, not the pace.
          rateLimits: { visitorEvents: { max: 10_000, perSeconds: 1 }, visitorBurst: { max: 10_000, perSeconds: 1 }, visitorMessages: { max: 10_000, perSeconds: 1 }, inboxMessages: { max: 10_000, perSeconds: 1 } },
        },
      },
    ],
  })
  known = await t.server.ingest({ channel: 'chat', inbox: CHAT_INBOX, externalId: 'known-1', from: { kind: 'chat', address: 'visitor-known', name: 'Lena' }, text: 'hello' })
  agent = (await connectClient(t.server.url, (await userWithToken(t.server, 'Alex', { role: 'supervisor' })).token)).socket
  chat = io(t.server.url, { path: CHAT_SOCKET_PATH, auth: { inbox: CHAT_INBOX }, transports: ['websocket'], reconnection: false, extraHeaders: { origin: SITE } })
  await new Promise<void>((resolve, reject) => {
    chat.once('connect', () => resolve())
    chat.once('connect_error', reject)
  })
})
afterAll(async () => {
  agent?.close()
  chat?.close()
  await t?.cleanup()
})

/** Names that are properties of every plain object: a handler that indexes objects by input must not trip on them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'] as const

const text = (maxLength = 40) => fc.oneof(fc.string({ maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'binary', maxLength }))
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
/** Anything socket.io can carry: JSON, binary, and the odd numbers JSON has no spelling for. */
const anything = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -0, Number.MAX_SAFE_INTEGER + 2) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...PROTOTYPE_NAMES), fc.jsonValue({ maxDepth: 1 })) },
)
/** The stored conversation, customer and message (read when generated: they exist only once the server runs), or none. */
const storedId = fc.constantFrom('conversationId', 'customerId', 'itemId' as const).map((key) => known[key])
const someId = () => fc.oneof(storedId, fc.constantFrom('nope', ''), text(140))

type Counts = Awaited<ReturnType<TestServer['server']['counts']>>

/**
 * Emits one fuzzed event and checks its acknowledgement: the event's response or an error of the
 * protocol's shape, the socket still connected, and nothing stored unless `accepted` says the
 * response reports a change.
 */
async function checkEmit(
  socket: Socket,
  event: string,
  args: unknown[],
  shapes: { response: z.ZodType; error: z.ZodType },
  accepted: (response: unknown) => boolean = () => false,
): Promise<void> {
  const before: Counts = await t.server.counts()
  const ack = await untyped(socket).timeout(ACK_TIMEOUT_MS).emitWithAck(event, ...args)
  const isError = shapes.error.safeParse(ack).success
  if (!isError) expect(shapes.response.safeParse(ack).success, JSON.stringify(ack)).toBe(true)
  else expect((ack as SocketError).error.code, JSON.stringify(ack)).not.toBe('internal')
  expect(socket.connected).toBe(true)
  if (isError || !accepted(ack)) expect(await t.server.counts()).toEqual(before)
}

/** Mostly a valid value, so that fuzzing reaches past the schema into the handler; else anything. */
const usually = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: anything })

/**
 * Mutations near the real shapes, naming the stored conversation and customer or none. Every
 * mutation's arguments are offered at once: the schemas drop the ones a mutation does not take.
 */
const mutationArgs = fc.record({
  messageId: usually(fc.uuid()),
  noteId: usually(fc.uuid()),
  callId: usually(someId()),
  conversationId: usually(someId()),
  customerId: usually(someId()),
  sourceId: usually(someId()),
  targetId: usually(someId()),
  mergeId: usually(someId()),
  suggestionId: usually(someId()),
  assigneeId: usually(fc.oneof(fc.constant(null), someId())),
  text: usually(text(100)),
  status: usually(fc.constantFrom('open', 'pending', 'snoozed', 'resolved')),
  snoozedUntil: usually(fc.oneof(fc.constant(null), fc.integer({ min: 0 }), fc.double())),
  add: usually(fc.array(text(70), { maxLength: 3 })),
  remove: usually(fc.array(text(70), { maxLength: 3 })),
  channel: maybe(fc.oneof(fc.constantFrom('email', 'sms', 'whatsapp', 'chat', 'voice'), text())),
  direction: usually(fc.constantFrom('inbound', 'outbound')),
  outcome: usually(fc.constantFrom('answered', 'missed', 'voicemail', 'failed')),
  durationSeconds: usually(fc.integer({ min: 0, max: 100_000 })),
  notes: usually(text()),
  html: maybe(text(100)),
  cc: maybe(fc.array(fc.oneof(fc.emailAddress(), text()), { maxLength: 2 })),
})
const mutation = fc.record({
  id: usually(fc.integer({ min: 1, max: 1_000_000 })),
  name: usually(
    fc.constantFrom('reply', 'note', 'assign', 'setStatus', 'label', 'callNote', 'customerLabel', 'mergeCustomers', 'unmergeCustomers', 'dismissSuggestion', 'logCall'),
  ),
  args: usually(mutationArgs),
})
const pushRequest = usually(fc.record({ clientId: usually(fc.uuid()), mutations: usually(fc.array(usually(mutation), { minLength: 1, maxLength: 3 })) }))
const pullRequest = usually(fc.record({ after: usually(fc.nat()), limit: maybe(usually(fc.integer({ min: 1, max: 10_000 }))) }))
const presenceRequest = usually(fc.record({ conversationId: usually(fc.oneof(fc.constant(null), someId())), typing: usually(fc.boolean()) }))

/** Extra arguments before the acknowledgement, which the handlers must ignore. */
const withExtras = (payload: fc.Arbitrary<unknown>) => fc.tuple(payload, fc.array(anything, { maxLength: 2 })).map(([p, extra]) => [p, ...extra])

describe('fuzzed sync socket', () => {
  const sync = (response: z.ZodType) => ({ response, error: SocketError })

  it('answers pull, whoami, typing, viewing and status with their response or an error, and stores nothing', async () => {
    const events = fc.oneof(
      fc.tuple(fc.constant('pull'), withExtras(pullRequest), fc.constant(PullResponse)),
      fc.tuple(fc.constant('whoami'), withExtras(anything), fc.constant(WhoamiResponse)),
      fc.tuple(fc.constantFrom('typing', 'viewing'), withExtras(presenceRequest), fc.constant(TypingResponse)),
      fc.tuple(fc.constant('status'), withExtras(usually(fc.record({ away: usually(fc.boolean()) }))), fc.constant(TypingResponse)),
    )
    await fc.assert(
      fc.asyncProperty(events, async ([event, args, response]) => {
        await checkEmit(agent, event, args, sync(response))
      }),
      { numRuns: RUNS },
    )
  })

  it('answers push with results or an error, and stores nothing unless a mutation was applied', async () => {
    const applied = (res: unknown) => (res as z.output<typeof PushResponse>).results.some((r) => r.outcome === 'applied')
    await fc.assert(
      fc.asyncProperty(withExtras(pushRequest), async (args) => {
        await checkEmit(agent, 'push', args, sync(PushResponse), applied)
      }),
      { numRuns: RUNS },
    )
  })

  it('ignores events it does not know and stays connected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'poke', 'presence', 'join'), text(20)), anything, async (event, payload) => {
        const before = await t.server.counts()
        untyped(agent).emit(event, payload, () => {})
        const whoami = await untyped(agent).timeout(ACK_TIMEOUT_MS).emitWithAck('whoami', {})
        expect(WhoamiResponse.safeParse(whoami).success).toBe(true)
        expect(await t.server.counts()).toEqual(before)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('fuzzed web chat socket', () => {
  const chatShapes = (response: z.ZodType) => ({ response, error: ChatError })
  const storedMessage = () => true
  const contact = fc.record(
    {
      name: usually(text()),
      email: usually(fc.oneof(fc.emailAddress(), text())),
      phone: usually(fc.oneof(fc.constantFrom('+12025550143', '(202) 555-0143', '123', '+999999999999999'), text())),
    },
    { requiredKeys: [] },
  )
  const signedIdentity = fc.record(
    {
      userId: usually(fc.oneof(text(), fc.constant('a\nb'))),
      email: fc.oneof(fc.emailAddress(), text()),
      phone: maybe(text()),
      name: maybe(text()),
      signature: usually(fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), text())),
    },
    { requiredKeys: [] },
  )
  const message = fc.record({ clientMessageId: usually(fc.uuid()), text: usually(fc.oneof(text(200), fc.constant(' '))) })

  it('answers join, identify, send_code, verify_code and typing with their response or an error, and stores nothing', async () => {
    const events = fc.oneof(
      fc.tuple(fc.constant('join'), withExtras(anything), fc.constant<z.ZodType>(ChatSession)),
      fc.tuple(
        fc.constant('identify'),
        withExtras(fc.oneof(contact, contact.chain((c) => signedIdentity.map((s) => ({ ...c, signedIdentity: s }))), anything)),
        fc.constant<z.ZodType>(IdentifyResponse),
      ),
      fc.tuple(fc.constant('send_code'), withExtras(anything), fc.constant<z.ZodType>(SendCodeResponse)),
      fc.tuple(fc.constant('verify_code'), withExtras(usually(fc.record({ code: usually(fc.oneof(fc.stringMatching(/^\d{6}$/), text())) }))), fc.constant<z.ZodType>(OkResponse)),
      fc.tuple(fc.constant('typing'), withExtras(usually(fc.record({ typing: usually(fc.boolean()) }))), fc.constant<z.ZodType>(OkResponse)),
    )
    await fc.assert(
      fc.asyncProperty(events, async ([event, args, response]) => {
        await checkEmit(chat, event, args, chatShapes(response))
      }),
      { numRuns: RUNS },
    )
  })

  it('answers send and offline with the stored message or an error, and stores nothing refused', async () => {
    const events = fc.oneof(
      fc.tuple(fc.constant('send'), withExtras(usually(message)), fc.constant<z.ZodType>(SendResponse)),
      fc.tuple(
        fc.constant('offline'),
        withExtras(usually(fc.tuple(message, contact).map(([m, c]) => ({ ...c, ...m })))),
        fc.constant<z.ZodType>(OkResponse),
      ),
    )
    await fc.assert(
      fc.asyncProperty(events, async ([event, args, response]) => {
        await checkEmit(chat, event, args, chatShapes(response), storedMessage)
      }),
      { numRuns: RUNS },
    )
  })

  it('refuses a payload sent without an acknowledgement as a problem event, and stays connected', async () => {
    const problems: unknown[] = []
    chat.on('problem', (p) => problems.push(p))
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('identify', 'send', 'verify_code', 'offline'), fc.oneof(fc.constant(7), fc.constant(null), fc.jsonValue({ maxDepth: 0 })), async (event, payload) => {
          const before = await t.server.counts()
          const seen = problems.length
          untyped(chat).emit(event, payload)
          const deadline = Date.now() + ACK_TIMEOUT_MS
          while (problems.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
          expect(ChatError.safeParse(problems.at(-1)).success, JSON.stringify(problems.at(-1))).toBe(true)
          expect(chat.connected).toBe(true)
          expect(await t.server.counts()).toEqual(before)
        }),
        { numRuns: 50 },
      )
    } finally {
      chat.off('problem')
    }
  })
})

describe('the fuzzed sockets afterwards', () => {
  it('still serve a well-formed request', async () => {
    const ack = await chat.timeout(ACK_TIMEOUT_MS).emitWithAck('send', { clientMessageId: randomUUID(), text: 'still here' })
    expect(SendResponse.safeParse(ack).success).toBe(true)
    const pull = await agent.timeout(ACK_TIMEOUT_MS).emitWithAck('pull', { after: 0 })
    expect(PullResponse.safeParse(pull).success).toBe(true)
  })
})
