import type { Server as HttpServer } from 'node:http'
import { Server, type Socket } from 'socket.io'
import { z } from 'zod'
import {
  CHAT_SOCKET_PATH,
  ChatHandshake,
  type ChatClientToServerEvents,
  type ChatError,
  type ChatServerToClientEvents,
} from '../../../shared/chat'
import type { ConnectorLogger } from '../connector'

export interface ChatSocketData {
  inbox: string
  visitorId: string
}

export type ChatServer = Server<ChatClientToServerEvents, ChatServerToClientEvents, Record<string, never>, ChatSocketData>
export type ChatSocket = Socket<ChatClientToServerEvents, ChatServerToClientEvents, Record<string, never>, ChatSocketData>

/** A client asking to connect, as the handshake shows it. */
export interface ChatArrival {
  /** The page's origin; browsers always send it, other clients need not. */
  origin: string | undefined
  /** The client's IP address as the socket sees it. */
  address: string
  /** The visitor token of an earlier visit. */
  token: string | undefined
}

/** The visitor id of an admitted client, or why it was turned away. */
export type Admission = { visitorId: string } | { refused: ChatError['error'] }

/** One web chat inbox, as the hub sees it. */
export interface ChatInbox {
  readonly inbox: string
  /** Whether a page on `origin` may embed this inbox's widget. */
  allowsOrigin(origin: string): boolean
  /** Checks the client's origin and rate limits, and proves (or mints) its visitor id. */
  admit(arrival: ChatArrival): Admission
  attach(socket: ChatSocket): void
}

export const visitorRoom = (visitorId: string): string => `visitor:${visitorId}`
export const inboxRoom = (inbox: string): string => `inbox:${inbox}`

/**
 * The chat socket.io server, one per HTTP server: every web chat inbox shares the one
 * `/chat-socket` path (and the one `/widget.js`), and the handshake names the inbox.
 */
export class ChatHub {
  readonly io: ChatServer
  private readonly inboxes = new Map<string, ChatInbox>()

  constructor(httpServer: HttpServer, log: ConnectorLogger) {
    this.io = new Server(httpServer, {
      path: CHAT_SOCKET_PATH,
      serveClient: false,
      // Long-polling is cross-origin XHR from the embedding page; WebSockets carry Origin too and are checked below.
      // Without an Origin CORS has nothing to grant; whether such a client may connect is the handshake's call.
      cors: { origin: (origin, cb) => cb(null, origin !== undefined && [...this.inboxes.values()].some((i) => i.allowsOrigin(origin))) },
      maxHttpBufferSize: 64 * 1024,
    })
    this.io.use((socket, next) => {
      const handshake = ChatHandshake.safeParse(socket.handshake.auth)
      if (!handshake.success) {
        log.warn({ issues: handshake.error.issues }, 'chat handshake refused: malformed')
        return next(new Error(`invalid chat handshake: ${z.prettifyError(handshake.error)}`))
      }
      const inbox = this.inboxes.get(handshake.data.inbox)
      if (!inbox) {
        log.warn({ inbox: handshake.data.inbox }, 'chat handshake refused: unknown inbox')
        return next(new Error(`unknown chat inbox "${handshake.data.inbox}"`))
      }
      const { origin } = socket.handshake.headers
      const { address } = socket.handshake
      const admission = inbox.admit({ origin, address, token: handshake.data.token })
      if ('refused' in admission) {
        const { code, message } = admission.refused
        // A flood is refused many times over: warn about what looks like a misconfiguration, note the rest.
        const at = code === 'rate_limited' ? log.info.bind(log) : log.warn.bind(log)
        at({ inbox: inbox.inbox, origin, address, error: message }, `chat handshake refused: ${code}`)
        // socket.io hands `data` to the client's connect_error, so the widget can tell when to try again.
        return next(Object.assign(new Error(message), { data: admission.refused }))
      }
      socket.data.inbox = inbox.inbox
      socket.data.visitorId = admission.visitorId
      next()
    })
    this.io.on('connection', (socket: ChatSocket) => {
      const inbox = this.inboxes.get(socket.data.inbox)
      if (inbox) inbox.attach(socket)
      else socket.disconnect(true)
    })
  }

  register(inbox: ChatInbox): void {
    if (this.inboxes.has(inbox.inbox)) throw new Error(`web chat inbox "${inbox.inbox}" is already running`)
    this.inboxes.set(inbox.inbox, inbox)
  }

  /** Drops the inbox and its visitors; true when no inbox is left. */
  unregister(inbox: string): boolean {
    this.inboxes.delete(inbox)
    this.io.in(inboxRoom(inbox)).disconnectSockets(true)
    return this.inboxes.size === 0
  }

  close(): void {
    this.io.disconnectSockets(true)
    // Closes engine.io's connections without closing the HTTP server, which Fastify owns.
    this.io.engine.close()
  }
}

const hubs = new WeakMap<HttpServer, ChatHub>()

export function hubFor(httpServer: HttpServer, log: ConnectorLogger): ChatHub {
  let hub = hubs.get(httpServer)
  if (!hub) {
    hub = new ChatHub(httpServer, log)
    hubs.set(httpServer, hub)
  }
  return hub
}

export function releaseHub(httpServer: HttpServer, inbox: string): void {
  const hub = hubs.get(httpServer)
  if (hub?.unregister(inbox)) {
    hub.close()
    hubs.delete(httpServer)
  }
}
