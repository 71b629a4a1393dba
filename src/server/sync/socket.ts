import type { Server as HttpServer } from 'node:http'
import { Server, type Socket } from 'socket.io'
import type { Conversation, User } from '../../shared/domain'
import type { InboxInfo } from '../../shared/inbox-settings'
import {
  AwayRequest,
  ConversationTypingRequest,
  HandshakeAuth,
  PullRequest,
  PushRequest,
  SOCKET_PATH,
  WhoamiRequest,
  ViewingRequest,
  type Change,
  type ClientToServerEvents,
  type MutationResult,
  type PresenceNotice,
  type Poke,
  type ServerToClientEvents,
  type SocketError,
  type TypingNotice,
} from '../../shared/sync'
import { userActor } from '../../shared/actors'
import { hasRole } from '../../shared/roles'
import type { TokenAuth } from '../auth/token-auth'
import { hashToken, tokenRoom } from '../auth/tokens'
import { BadRequestError, parseOrThrow } from '../errors'
import { secondsSince, type ServerMetrics } from '../ops/metrics'
import type { Store, StoredChange } from '../store/store'
import { canSeeChange, canSeeInbox, scopeOf, viewerTokens, visibleCustomersOf } from './access'
import type { ChangeFeed } from './commit'
import { trackAgentStatus, type AgentStatusTracker, type SocketCount } from './agent-status'
import { applyMutation } from './mutations'
import { withEventBlock } from './event-block'

interface SocketData {
  user: User
  /** The hash of the token the socket connected with: checked on every request and by the sweep. */
  tokenHash: string
  /** The conversation this agent has open, and the one they are typing in: ephemeral presence. */
  viewing?: string | null
  typingIn?: string | null
  /** Its client saw nobody use it for a while (see AwayRequest). */
  away?: boolean
}

type SyncSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>

export interface SyncSocketLogger {
  info(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface AgentTypingEvent {
  user: User
  conversationId: string
  typing: boolean
}

/**
 * Who is connected to the sync socket, for connectors that talk to customers live (web chat):
 * whether anyone can answer now, and typing indicators both ways. Nothing here is stored.
 */
export interface AgentPresence {
  /** Connected agents and supervisors who may see `inbox`. */
  onlineCount(inbox: string): number
  /** Called after any agent connects or disconnects. */
  onChange(listener: () => void): () => void
  /** Tells the connected users who may see `inbox` that the conversation's customer is typing. */
  notifyCustomerTyping(inbox: string, notice: TypingNotice): void
  /** An agent typing in a conversation they may see. */
  onAgentTyping(listener: (event: AgentTypingEvent) => void): () => void
}

export interface SyncSocketServer {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>
  readonly presence: AgentPresence
  /** Who is online, away or offline; the cluster feeds it what the other nodes have connected. */
  readonly agentStatus: AgentStatusTracker
  /**
   * Another node committed up to `seq`: this node reads those changes once and pokes its clients
   * with them, as it does with its own (each client would otherwise pull for itself).
   */
  catchUp(seq: number): void
  close(): Promise<void>
}

/** A node further behind than this nudges its clients to pull for themselves instead of reading the gap for them. */
const CATCH_UP_MAX_CHANGES = 1_000

const error = (code: SocketError['error']['code'], message: string): SocketError => ({ error: { code, message } })

/**
 * How often the tokens of live connections are checked against the database. Pokes are pushed
 * without any request from the client, so a check made only when a client pulls or pushes would
 * never notice a socket that just listens: its token revoked by the CLI (another process, which
 * cannot reach this one's sockets), its user removed, or its token expired while connected. One
 * query per sweep covers every connection; requests are checked too, on the same rule.
 */
export const TOKEN_SWEEP_MS = 1_000

const REFUSED_TOKEN = 'this token is no longer accepted (revoked, expired, or its user removed): sign in again'

const strip = ({ inbox: _inbox, customerId: _customerId, audience: _audience, covers: _covers, ...change }: StoredChange): Change => change

/**
 * Sockets whose users see the same inboxes share a room, so each commit's poke is filtered and
 * encoded once per room rather than once per socket.
 */
/**
 * The room of the sockets that may see the same rows: by inboxes, and by whether the user
 * receives reporting events (supervisors and admins). A change of either makes the client start
 * its cache over, so the socket is disconnected when it happens.
 */
const scopeRoom = (user: User): string =>
  `${user.inboxes === null ? 'scope:*' : `scope:${[...user.inboxes].sort().join('|')}`}${hasRole(user, 'supervisor') ? '+reports' : ''}`

/** The sockets of supervisors and admins, who are told every user's online status. */
const AGENT_STATUS_ROOM = 'agent-status'

/** Keeps a socket's user current and the socket in the rooms of what that user may see. */
function setUser(socket: SyncSocket, user: User): void {
  const before = socket.data.user
  socket.data.user = user
  const room = scopeRoom(user)
  if (before && scopeRoom(before) !== room) void socket.leave(scopeRoom(before))
  void socket.join(room)
  if (hasRole(user, 'supervisor')) void socket.join(AGENT_STATUS_ROOM)
  else void socket.leave(AGENT_STATUS_ROOM)
}

function countSockets(sockets: Iterable<SyncSocket>): Map<string, SocketCount> {
  const counts = new Map<string, SocketCount>()
  for (const s of sockets) {
    const known = counts.get(s.data.user.id) ?? { sockets: 0, away: 0 }
    counts.set(s.data.user.id, { sockets: known.sockets + 1, away: known.away + (s.data.away ? 1 : 0) })
  }
  return counts
}

/**
 * The sync protocol over socket.io: token handshake, pull, push, whoami, and a poke to every
 * connected client after each commit with the changes that client may see.
 */
export function attachSyncSocket(
  httpServer: HttpServer,
  deps: {
    store: Store
    feed: ChangeFeed
    auth: TokenAuth
    log: SyncSocketLogger
    inboxes?: readonly InboxInfo[]
    tokenSweepMs?: number
    metrics: ServerMetrics
  },
): SyncSocketServer {
  const { store, feed, auth, log, inboxes = [], metrics } = deps
  const io: SyncSocketServer['io'] = new Server(httpServer, { path: SOCKET_PATH, serveClient: false })
  const presenceListeners = new Set<() => void>()
  /** Every socket's request being handled (or waiting its turn): a closing server lets them finish. */
  const turns = new Set<Promise<void>>()
  const typingListeners = new Set<(event: AgentTypingEvent) => void>()
  const presenceChanged = (): void => {
    for (const listener of presenceListeners) listener()
  }
  const agentStatus = trackAgentStatus({
    localCounts: () => countSockets(io.of('/').sockets.values()),
    listUsers: () => store.listUsers(),
    watching: () => (io.of('/').adapter.rooms.get(AGENT_STATUS_ROOM)?.size ?? 0) > 0,
    send: (agents, only) => (only ? io.to([...only]) : io.to(AGENT_STATUS_ROOM)).emit('agents', { agents }),
    log,
  })

  io.use((socket, next) => {
    const handshake = HandshakeAuth.safeParse(socket.handshake.auth)
    if (!handshake.success) return next(new Error('unauthorized'))
    const tokenHash = hashToken(handshake.data.token)
    auth.userByHash(tokenHash).then(
      (accepted) => {
        if (!accepted.ok) return next(new Error('unauthorized'))
        socket.data.user = accepted.user
        socket.data.tokenHash = tokenHash
        void socket.join(tokenRoom(tokenHash))
        next()
      },
      (err: unknown) => {
        log.error({ err }, 'checking a connecting token failed')
        next(new Error('unauthorized'))
      },
    )
  })

  let sweeping = false
  const sweep = setInterval(() => {
    // A sweep slower than the interval (a busy store) is not stacked on by the next one.
    if (sweeping) return
    sweeping = true
    const hashes = new Set<string>()
    for (const s of io.of('/').sockets.values()) hashes.add(s.data.tokenHash)
    auth
      .rejected([...hashes])
      .then((rejected) => {
        for (const tokenHash of rejected) io.in(tokenRoom(tokenHash)).disconnectSockets(true)
      })
      .catch((err: unknown) => log.error({ err }, 'checking the tokens of live connections failed'))
      .finally(() => {
        sweeping = false
      })
  }, deps.tokenSweepMs ?? TOKEN_SWEEP_MS)
  sweep.unref()

  /** Tells everyone who may see the conversation who is viewing or typing in it now. */
  const announcePresence = (conversationId: string | null | undefined): void => {
    if (!conversationId) return
    store.getConversation(conversationId).then(
      (conversation) => conversation && presenceIn(conversation),
      (err: unknown) => log.error({ err, conversationId }, 'announcing presence failed'),
    )
  }
  const presenceIn = (conversation: Conversation): void => {
    const conversationId = conversation.id
    const users = new Map<string, PresenceNotice['users'][number]>()
    for (const s of io.of('/').sockets.values()) {
      const typing = s.data.typingIn === conversationId
      if (s.data.viewing !== conversationId && !typing) continue
      const known = users.get(s.data.user.id)
      users.set(s.data.user.id, { userId: s.data.user.id, name: s.data.user.name, typing: typing || (known?.typing ?? false) })
    }
    const notice: PresenceNotice = { conversationId, users: [...users.values()] }
    for (const s of io.of('/').sockets.values()) if (canSeeInbox(s.data.user, conversation.inbox)) s.emit('presence', notice)
  }

  io.on('connection', (socket: SyncSocket) => {
    log.info({ userId: socket.data.user.id, socketId: socket.id }, 'sync client connected')
    setUser(socket, socket.data.user)
    metrics.syncClients.inc()
    presenceChanged()
    agentStatus.socketsChanged()
    if (hasRole(socket.data.user, 'supervisor')) agentStatus.welcome(socket.id)
    socket.on('disconnect', () => {
      metrics.syncClients.dec()
      presenceChanged()
      agentStatus.socketsChanged()
      const { viewing, typingIn } = socket.data
      socket.data.viewing = null
      socket.data.typingIn = null
      announcePresence(viewing)
      if (typingIn !== viewing) announcePresence(typingIn)
    })

    /**
     * Every handler: token and user re-read (revoked, expired, removed, or the inboxes changed),
     * payload parsed with the shared schema, errors answered in the ack — the socket stays
     * connected unless its token is no longer accepted. A socket's requests are handled one at a
     * time, in the order they came: a push must not overtake the one its client sent before it.
     */
    let turn: Promise<void> = Promise.resolve()
    const handle = <T>(event: string, run: (user: User, payload: unknown) => T | Promise<T>) => {
      return (...args: unknown[]): void => {
        const ack = args.at(-1)
        if (typeof ack !== 'function') return
        const payload = args.length > 1 ? args[0] : undefined
        const next = turn.then(() => respond(event, run, payload, ack as (answer: unknown) => void))
        turn = next
        turns.add(next)
        void next.finally(() => turns.delete(next))
      }
    }
    const respond = async <T>(
      event: string,
      run: (user: User, payload: unknown) => T | Promise<T>,
      payload: unknown,
      ack: (answer: unknown) => void,
    ): Promise<void> => {
      try {
        const accepted = await auth.userByHash(socket.data.tokenHash)
        if (!accepted.ok) {
          ack(error('unauthorized', REFUSED_TOKEN))
          socket.disconnect(true)
          return
        }
        const { user } = accepted
        // Changed elsewhere (the CLI) since this socket last looked: the client starts over, as on a live change.
        if (scopeRoom(user) !== scopeRoom(socket.data.user)) {
          ack(error('scope_changed', 'your access changed; reconnecting to sync what you may see now'))
          socket.disconnect(true)
          return
        }
        setUser(socket, user)
        ack(await run(user, payload))
      } catch (err) {
        if (err instanceof BadRequestError) return ack(error('bad_request', err.message))
        log.error({ err, event }, 'sync request failed')
        ack(error('internal', 'the server failed to handle this request; it was not applied'))
      }
    }

    socket.on(
      'pull',
      handle('pull', async (user, payload) => {
        const req = parseOrThrow(PullRequest, payload, 'pull request')
        const started = performance.now()
        const page = await store.changesAfter(req.after, req.limit, scopeOf(user), viewerTokens(user), { latest: req.latest })
        metrics.pullSeconds.observe(secondsSince(started))
        return req.eventBlock ? withEventBlock(page) : page
      }),
    )
    socket.on(
      'push',
      handle('push', async (user, payload) => {
        const req = parseOrThrow(PushRequest, payload, 'push request')
        const commit = feed.as(userActor(user.id))
        const device = { ip: socket.handshake.address || null, userAgent: socket.handshake.headers['user-agent'] ?? null }
        const results: MutationResult[] = []
        for (const m of req.mutations) {
          results.push(await applyMutation(commit, user, { name: m.name, args: m.args }, { clientId: req.clientId, mutationId: m.id, ...device }))
        }
        return { results }
      }),
    )
    socket.on(
      'typing',
      handle('typing', async (user, payload) => {
        const req = parseOrThrow(ConversationTypingRequest, payload, 'typing notice')
        const conversation = await store.getConversation(req.conversationId)
        if (!conversation || !canSeeInbox(user, conversation.inbox)) {
          throw new BadRequestError(`unknown conversation ${req.conversationId}`)
        }
        for (const listener of typingListeners) listener({ user, conversationId: conversation.id, typing: req.typing })
        const before = socket.data.typingIn
        socket.data.typingIn = req.typing ? conversation.id : before === conversation.id ? null : before
        if (before && before !== socket.data.typingIn) announcePresence(before)
        if (socket.data.typingIn !== before) announcePresence(socket.data.typingIn)
        return { ok: true as const }
      }),
    )
    socket.on(
      'viewing',
      handle('viewing', async (user, payload) => {
        const req = parseOrThrow(ViewingRequest, payload, 'viewing notice')
        if (req.conversationId !== null) {
          const conversation = await store.getConversation(req.conversationId)
          if (!conversation || !canSeeInbox(user, conversation.inbox)) {
            throw new BadRequestError(`unknown conversation ${req.conversationId}`)
          }
        }
        const before = socket.data.viewing
        socket.data.viewing = req.conversationId
        // Leaving a conversation also ends typing there.
        if (socket.data.typingIn && socket.data.typingIn !== req.conversationId) {
          const typedIn = socket.data.typingIn
          socket.data.typingIn = null
          if (typedIn !== before) announcePresence(typedIn)
        }
        if (before !== req.conversationId) announcePresence(before)
        // Always announced, so the newcomer learns who is already there.
        announcePresence(req.conversationId)
        return { ok: true as const }
      }),
    )
    socket.on(
      'status',
      handle('status', (_user, payload) => {
        const req = parseOrThrow(AwayRequest, payload, 'status notice')
        socket.data.away = req.away
        agentStatus.socketsChanged()
        return { ok: true as const }
      }),
    )
    socket.on(
      'whoami',
      handle('whoami', (user, payload) => {
        parseOrThrow(WhoamiRequest, payload ?? {}, 'whoami request')
        return { user, inboxes: inboxes.filter((inbox) => canSeeInbox(user, inbox.name)) }
      }),
    )
  })

  /** Pokes go out one commit at a time, in commit order, each after the one before. */
  let fanout: Promise<void> = Promise.resolve()
  const unsubscribe = feed.subscribe((changes) => {
    const first = changes[0]
    const last = changes.at(-1)
    if (!first || !last) return
    const sockets = io.of('/').sockets
    // A user whose inboxes or role changed is disconnected: their cache holds rows they may no longer see
    // and lacks history they now may, which only a fresh pull under the new scope puts right
    // (the client starts one when it reconnects and finds its scope changed).
    for (const change of changes) {
      if (change.entity !== 'user' || !change.data) continue
      const user = change.data as User
      for (const socket of sockets.values()) {
        if (socket.data.user.id !== change.id) continue
        if (scopeRoom(socket.data.user) === scopeRoom(user)) setUser(socket, user)
        else socket.disconnect(true)
      }
    }
    const committed = performance.now()
    fanout = fanout
      .then(() => poke(first.seq - 1, last.seq, changes))
      .then(() => metrics.fanoutSeconds.observe(secondsSince(committed)))
      .catch((err: unknown) => log.error({ err, seq: last.seq }, 'poking clients failed; they catch up at their next pull'))
  })

  /** The newest seq this node has poked its clients about. */
  let fanned = 0
  // Starts from the log's end: a first notice from another node then reads only what is new.
  store.lastSeq().then(
    (seq) => (fanned = Math.max(fanned, seq)),
    (err: unknown) => log.error({ err }, 'reading the newest change seq failed'),
  )
  const poke = async (after: number, cursor: number, changes: StoredChange[]): Promise<void> => {
    fanned = Math.max(fanned, cursor)
    // Someone created, renamed or (de)activated, here or on another node: supervisors get the list again.
    if (changes.some((c) => c.entity === 'user')) agentStatus.usersChanged()
    const sockets = io.of('/').sockets
    // Rows for some people only (saved views, reporting events) are chosen per member; the rest,
    // and which customers are visible, is the same for everyone in a room.
    const personal = changes.some((c) => c.audience !== null)
    for (const [room, members] of io.of('/').adapter.rooms) {
      if (!room.startsWith('scope:')) continue
      const [anyone] = members
      const user = anyone === undefined ? undefined : sockets.get(anyone)?.data.user
      if (!user) continue
      const visibleCustomers = await visibleCustomersOf(store, user, changes)
      // Sent even when nothing is visible, so the client's cursor follows the log without a pull.
      const pokeFor = (viewer: User): Poke => ({ after, cursor, changes: changes.filter((c) => canSeeChange(viewer, c, visibleCustomers)).map(strip) })
      if (!personal) {
        io.to(room).emit('poke', pokeFor(user))
        continue
      }
      for (const id of members) {
        const member = sockets.get(id)
        if (member) member.emit('poke', pokeFor(member.data.user))
      }
    }
  }

  const presence: AgentPresence = {
    onlineCount(inbox) {
      const users = new Set<string>()
      for (const s of io.of('/').sockets.values()) if (canSeeInbox(s.data.user, inbox)) users.add(s.data.user.id)
      return users.size
    },
    onChange(listener) {
      presenceListeners.add(listener)
      return () => presenceListeners.delete(listener)
    },
    notifyCustomerTyping(inbox, notice) {
      for (const s of io.of('/').sockets.values()) if (canSeeInbox(s.data.user, inbox)) s.emit('typing', notice)
    },
    onAgentTyping(listener) {
      typingListeners.add(listener)
      return () => typingListeners.delete(listener)
    },
  }

  const catchUp = async (seq: number): Promise<void> => {
    if (seq <= fanned) return
    const changes = seq - fanned > CATCH_UP_MAX_CHANGES ? [] : await store.changesSince(fanned, seq - fanned)
    const last = changes.at(-1)
    if (!last) {
      // Too far behind to read for everyone (or nothing found): a poke that carries nothing and
      // moves no cursor makes every client behind `seq` pull by its own cursor.
      fanned = seq
      io.emit('poke', { after: seq, cursor: seq, changes: [] })
      return
    }
    await poke(fanned, last.seq, changes)
  }

  return {
    io,
    presence,
    agentStatus,
    catchUp(seq) {
      const started = performance.now()
      fanout = fanout
        .then(() => catchUp(seq))
        .then(() => metrics.fanoutSeconds.observe(secondsSince(started)))
        .catch((err: unknown) => log.error({ err, seq }, "poking clients about another node's commit failed; they catch up at their next pull"))
    },
    async close() {
      clearInterval(sweep)
      agentStatus.close()
      presenceListeners.clear()
      typingListeners.clear()
      unsubscribe()
      // Pokes of what is already committed go out, and requests being handled finish (their
      // writes commit; a client that misses the answer retries, and a push retried is deduplicated).
      await fanout
      await Promise.allSettled([...turns])
      io.disconnectSockets(true)
      // Closes engine.io's own connections (long-polling ones included) without closing the
      // HTTP server, which Fastify owns and closes itself.
      io.engine.close()
    },
  }
}
