import { z } from 'zod'
import { AgentStatus } from './agent-status'
import { ENTITY_SCHEMAS, EntityName, User, type EntityTypes } from './domain'
import { InboxInfo } from './inbox-settings'
import { EventBlockBytes } from './reporting/event-block'
import { Mutation } from './mutations'

/**
 * The socket.io protocol between the sync server and client cores.
 *
 * Cursor: the server's change log seq up to which a client has seen everything it may see.
 * Changes a client may not see are skipped, so the seqs it receives have gaps; the cursor
 * still advances past them.
 */

export const SOCKET_PATH = '/sync'

/**
 * A change to one row. A `delete` is a tombstone: the row is gone (the data of every earlier
 * change of it was rewritten to one too), and a cache drops it if it holds it.
 *
 * A delete of a customer is their erasure: a cache drops the customer and every row of theirs
 * — identities, conversations and everything in them, summaries — and what this device kept
 * about them (drafts, read markers, queued actions). It reaches every client, whatever its
 * inboxes, since a client cannot tell which customers it holds until it looks. Rows of the
 * customer in later changes (a restore sends them again) are kept.
 */
/**
 * An entity's fields, checked here only for being an object: its entity's schema checks each
 * field (parseChange). Walking them here too, as a record, cost more than that schema itself,
 * at every change of an initial sync.
 */
const EntityData = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { message: 'expected an object' })

export const Change = z
  .object({
    seq: z.number().int().positive(),
    entity: EntityName,
    id: z.string(),
    op: z.enum(['upsert', 'delete']),
    /** The whole entity after the change; null for deletes. */
    data: EntityData.nullable(),
  })
  .refine((c) => c.op === 'upsert' || c.data === null, { message: 'a delete carries no data', path: ['data'] })
export type Change = z.infer<typeof Change>

/** Whether the change erases a customer (see Change). */
export const isCustomerErasure = (change: Pick<Change, 'entity' | 'op'>): boolean => change.entity === 'customer' && change.op === 'delete'

export type EntityChange<E extends EntityName = EntityName> = {
  seq: number
  entity: E
  id: string
  op: 'upsert' | 'delete'
  data: EntityTypes[E] | null
}

/** Parses a change's payload with its entity's schema: the client trusts nothing unchecked. */
export function parseChange(raw: unknown): EntityChange {
  const change = Change.parse(raw)
  const data = change.op === 'delete' ? null : ENTITY_SCHEMAS[change.entity].parse(change.data)
  return { ...change, data } as EntityChange
}

export const PullRequest = z.object({
  after: z.number().int().nonnegative(),
  limit: z.number().int().positive().max(10_000).default(1_000),
  /**
   * Only the latest change of each row: a change is left out when a later one of the same row,
   * which exactly the same readers may see, is in the log. The reader reaches that one by
   * pulling on, so the cache ends the same as after every change, with fewer sent and applied.
   * Cuts an initial sync about in half, since a conversation is changed again at every message.
   */
  latest: z.boolean().default(false),
  /**
   * Reporting events as one block of their fields (`eventBlock`) rather than as changes. For a
   * first sync, which announces nothing: a live pull keeps them as changes, which notifications read.
   */
  eventBlock: z.boolean().default(false),
})
export type PullRequest = z.input<typeof PullRequest>

export const PullResponse = z.object({
  changes: z.array(Change),
  /**
   * With `eventBlock` asked for: the page's reporting events changed once in it, as they are after
   * that change (an event changed twice stays among `changes`), as the bytes of one block
   * (reporting/event-block.ts). The cache writes them in any order with the batch.
   */
  eventBlock: EventBlockBytes.optional(),
  /** The new cursor: every change the client may see up to here is in `changes`. */
  cursor: z.number().int().nonnegative(),
  hasMore: z.boolean(),
})
export type PullResponse = z.infer<typeof PullResponse>

/**
 * A pull response with an event block, as it travels: the rest of the page as the bytes of its
 * JSON beside the block's bytes. socket.io walks every object of a message that holds binary data
 * and copies it to take the binary out; for a page of thousands of changes that cost more than
 * sending them. Read with `unpackPullResponse`.
 */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, "expected bytes")
export const PackedPullResponse = z.strictObject({ page: bytes, eventBlock: bytes })
export type PackedPullResponse = z.infer<typeof PackedPullResponse>

/** A pull response as the server sends it. */
export type SentPullResponse = Omit<PullResponse, 'eventBlock'> | PackedPullResponse

/** A pull response as received, a packed one with its page read out of its bytes: for PullResponse to check. */
export function unpackPullResponse(raw: unknown): unknown {
  const packed = PackedPullResponse.safeParse(raw)
  if (!packed.success) return raw
  let page: unknown
  try {
    page = JSON.parse(new TextDecoder().decode(packed.data.page))
  } catch {
    throw new Error("a packed pull response's page is not JSON")
  }
  return typeof page === 'object' && page !== null && !Array.isArray(page) ? { ...page, eventBlock: packed.data.eventBlock } : page
}

/** Pushed by the server after a commit: apply when `after` equals the cursor, else pull. */
export const Poke = z.object({
  after: z.number().int().nonnegative(),
  cursor: z.number().int().nonnegative(),
  changes: z.array(Change),
})
export type Poke = z.infer<typeof Poke>

export const PushRequest = z.object({
  clientId: z.string().uuid(),
  mutations: z.array(Mutation).min(1).max(500),
})
export type PushRequest = z.input<typeof PushRequest>

export const MutationResult = z.object({
  id: z.number().int().positive(),
  /** `applied` now, `duplicate` when applied before, `rejected` with a reason that will not change on retry. */
  outcome: z.enum(['applied', 'duplicate', 'rejected']),
  error: z.string().optional(),
})
export type MutationResult = z.infer<typeof MutationResult>

export const PushResponse = z.object({
  results: z.array(MutationResult),
})
export type PushResponse = z.infer<typeof PushResponse>

/** Every acknowledgement is either the response or an error the client can show. */
export const SocketError = z.object({
  /** `scope_changed`: the user's inboxes changed; the server disconnects, and the client starts its cache over. */
  error: z.object({ code: z.enum(['bad_request', 'unauthorized', 'scope_changed', 'internal']), message: z.string() }),
})
export type SocketError = z.infer<typeof SocketError>
export type Ack<T> = T | SocketError

/**
 * The user the handshake token belongs to: how a client learns who is signed in, and the
 * configured inboxes that user may see (an older server sends none).
 */
export const WhoamiRequest = z.object({})
export type WhoamiRequest = z.input<typeof WhoamiRequest>
export const WhoamiResponse = z.object({ user: User, inboxes: z.array(InboxInfo).default([]) })
export type WhoamiResponse = z.infer<typeof WhoamiResponse>

/**
 * An agent typing in a conversation (today: a web chat, whose visitor sees it). Ephemeral:
 * it never enters the change log, so a client that was offline simply misses it.
 */
export const ConversationTypingRequest = z.object({
  conversationId: z.string().min(1).max(128),
  typing: z.boolean(),
})
export type ConversationTypingRequest = z.input<typeof ConversationTypingRequest>

/** Pushed to the agents who may see the conversation while its customer (a chat visitor) types. */
export const TypingNotice = z.object({
  conversationId: z.string(),
  customerId: z.string(),
  name: z.string(),
  typing: z.boolean(),
})
export type TypingNotice = z.infer<typeof TypingNotice>
export const TypingResponse = z.object({ ok: z.literal(true) })
export type TypingResponse = z.infer<typeof TypingResponse>

/** The conversation an agent has open (null: none); with typing, what other agents see as presence. */
export const ViewingRequest = z.object({ conversationId: z.string().min(1).max(128).nullable() })
export type ViewingRequest = z.input<typeof ViewingRequest>

/**
 * Pushed to the agents who may see a conversation whenever who is in it changes: every agent
 * viewing it or typing in it now (the receiving agent included; clients leave themselves out).
 */
export const PresenceNotice = z.object({
  conversationId: z.string(),
  users: z.array(z.object({ userId: z.string(), name: z.string(), typing: z.boolean() })),
})
export type PresenceNotice = z.infer<typeof PresenceNotice>

/**
 * Whether anyone is using this client (false once it has seen no keyboard or pointer use for
 * AWAY_AFTER_MS). A user is away when every client of theirs says so; a new connection is not away.
 */
export const AwayRequest = z.object({ away: z.boolean() })
export type AwayRequest = z.input<typeof AwayRequest>

/**
 * Pushed to supervisors and admins (never to agents): the status of every active user, on
 * connecting and after each change.
 */
export const AgentStatusNotice = z.object({ agents: z.array(AgentStatus) })
export type AgentStatusNotice = z.infer<typeof AgentStatusNotice>

export interface ClientToServerEvents {
  pull: (req: PullRequest, ack: (res: Ack<SentPullResponse>) => void) => void
  push: (req: PushRequest, ack: (res: Ack<PushResponse>) => void) => void
  whoami: (req: WhoamiRequest, ack: (res: Ack<WhoamiResponse>) => void) => void
  typing: (req: ConversationTypingRequest, ack: (res: Ack<TypingResponse>) => void) => void
  viewing: (req: ViewingRequest, ack: (res: Ack<TypingResponse>) => void) => void
  status: (req: AwayRequest, ack: (res: Ack<TypingResponse>) => void) => void
}

export interface ServerToClientEvents {
  poke: (poke: Poke) => void
  typing: (notice: TypingNotice) => void
  presence: (notice: PresenceNotice) => void
  agents: (notice: AgentStatusNotice) => void
}

export const HandshakeAuth = z.object({ token: z.string().min(1) })
