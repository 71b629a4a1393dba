import type { Server as HttpServer } from 'node:http'
import { Server, type Socket } from 'socket.io'
import type { User } from '../../shared/domain'
import type { InboxInfo } from '../../shared/inbox-settings'
import {
  ConversationTypingRequest,
  HandshakeAuth,
  PullRequest,
  PushRequest,
  SOCKET_PATH,
  WhoamiRequest,
  ViewingRequest,
  type Change,
  type ClientToServerEvents,
  type PresenceNotice,
  type Poke,
  type ServerToClientEvents,
  type SocketError,
  type TypingNotice,
} from '../../shared/sync'
import { hashToken, tokenRoom } from '../auth/tokens'
import { authenticate } from '../auth/users'
import { BadRequestError, parseOrThrow } from '../errors'
import type { Store, StoredChange } from '../store/store'
import { canSeeInbox, scopeOf } from './access'
import type { ChangeFeed } from './commit'
import { applyMutation } from './mutations'

interface SocketData {
  user: User
  /** The conversation this agent has open, and the one they are typing in: ephemeral presence. */
  viewing?: string | null
  typingIn?: string | null
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
  close(): Promise<void>
}

const error = (code: SocketError['error']['code'], message: string): SocketError => ({ error: { code, message } })

const visibleTo = (user: User, change: StoredChange): boolean => change.inbox === null || canSeeInbox(user, change.inbox)

const strip = ({ inbox: _inbox, ...change }: StoredChange): Change => change

/**
 * Sockets whose users see the same inboxes share a room, so each commit's poke is filtered and
 * encoded once per room rather than once per socket.
 */
const scopeRoom = (user: User): string => (user.inboxes === null ? 'scope:*' : `scope:${[...user.inboxes].sort().join('|')}`)

/** Keeps a socket's user current and the socket in the room of what that user may see. */
function setUser(socket: SyncSocket, user: User): void {
  const before = socket.data.user
  socket.data.user = user
  const room = scopeRoom(user)
  if (before && scopeRoom(before) !== room) void socket.leave(scopeRoom(before))
  void socket.join(room)
}

/**
 * The sync protocol over socket.io: token handshake, pull, push, whoami, and a poke to every
 * connected client after each commit with the changes that client may see.
 */
export function attachSyncSocket(
  httpServer: HttpServer,
  deps: { store: Store; feed: ChangeFeed; log: SyncSocketLogger; inboxes?: readonly InboxInfo[] },
): SyncSocketServer {
  const { store, feed, log, inboxes = [] } = deps
  const io: SyncSocketServer['io'] = new Server(httpServer, { path: SOCKET_PATH, serveClient: false })
  const presenceListeners = new Set<() => void>()
  const typingListeners = new Set<(event: AgentTypingEvent) => void>()
  const presenceChanged = (): void => {
    for (const listener of presenceListeners) listener()
  }

  io.use((socket, next) => {
    const auth = HandshakeAuth.safeParse(socket.handshake.auth)
    const user = auth.success ? authenticate(store, auth.data.token) : null
    if (!user || !auth.success) return next(new Error('unauthorized'))
    socket.data.user = user
    void socket.join(tokenRoom(hashToken(auth.data.token)))
    next()
  })

  /** Tells everyone who may see the conversation who is viewing or typing in it now. */
  const announcePresence = (conversationId: string | null | undefined): void => {
    if (!conversationId) return
    const conversation = store.getConversation(conversationId)
    if (!conversation) return
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
    presenceChanged()
    socket.on('disconnect', () => {
      presenceChanged()
      const { viewing, typingIn } = socket.data
      socket.data.viewing = null
      socket.data.typingIn = null
      announcePresence(viewing)
      if (typingIn !== viewing) announcePresence(typingIn)
    })

    /**
     * Every handler: payload parsed with the shared schema, user re-read (its inboxes may
     * have changed), errors answered in the ack — the socket stays connected either way.
     */
    const handle = <T>(event: string, run: (user: User, payload: unknown) => T) => {
      return (...args: unknown[]): void => {
        const ack = args.at(-1)
        if (typeof ack !== 'function') return
        const payload = args.length > 1 ? args[0] : undefined
        const user = store.getUser(socket.data.user.id)
        if (!user) {
          ack(error('unauthorized', 'this user no longer exists'))
          socket.disconnect(true)
          return
        }
        setUser(socket, user)
        try {
          ack(run(user, payload))
        } catch (err) {
          if (err instanceof BadRequestError) return ack(error('bad_request', err.message))
          log.error({ err, event }, 'sync request failed')
          ack(error('internal', 'the server failed to handle this request; it was not applied'))
        }
      }
    }

    socket.on(
      'pull',
      handle('pull', (user, payload) => {
        const req = parseOrThrow(PullRequest, payload, 'pull request')
        return store.changesAfter(req.after, req.limit, scopeOf(user))
      }),
    )
    socket.on(
      'push',
      handle('push', (user, payload) => {
        const req = parseOrThrow(PushRequest, payload, 'push request')
        const results = req.mutations.map((m) =>
          applyMutation(feed.commit, user, { name: m.name, args: m.args }, { clientId: req.clientId, mutationId: m.id }),
        )
        return { results }
      }),
    )
    socket.on(
      'typing',
      handle('typing', (user, payload) => {
        const req = parseOrThrow(ConversationTypingRequest, payload, 'typing notice')
        const conversation = store.getConversation(req.conversationId)
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
      handle('viewing', (user, payload) => {
        const req = parseOrThrow(ViewingRequest, payload, 'viewing notice')
        if (req.conversationId !== null) {
          const conversation = store.getConversation(req.conversationId)
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
      'whoami',
      handle('whoami', (user, payload) => {
        parseOrThrow(WhoamiRequest, payload ?? {}, 'whoami request')
        return { user, inboxes: inboxes.filter((inbox) => canSeeInbox(user, inbox.name)) }
      }),
    )
  })

  const unsubscribe = feed.subscribe((changes) => {
    const first = changes[0]
    const last = changes.at(-1)
    if (!first || !last) return
    const sockets = io.of('/').sockets
    // A user whose inboxes changed in this commit is moved to the right room before the poke.
    for (const change of changes) {
      if (change.entity !== 'user' || !change.data) continue
      for (const socket of sockets.values()) if (socket.data.user.id === change.id) setUser(socket, change.data as User)
    }
    for (const [room, members] of io.of('/').adapter.rooms) {
      if (!room.startsWith('scope:')) continue
      const [anyone] = members
      const user = anyone === undefined ? undefined : sockets.get(anyone)?.data.user
      if (!user) continue
      // Sent even when nothing is visible, so the client's cursor follows the log without a pull.
      const poke: Poke = {
        after: first.seq - 1,
        cursor: last.seq,
        changes: changes.filter((c) => visibleTo(user, c)).map(strip),
      }
      io.to(room).emit('poke', poke)
    }
  })

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

  return {
    io,
    presence,
    async close() {
      presenceListeners.clear()
      typingListeners.clear()
      unsubscribe()
      io.disconnectSockets(true)
      // Closes engine.io's own connections (long-polling ones included) without closing the
      // HTTP server, which Fastify owns and closes itself.
      io.engine.close()
    },
  }
}
