import { existsSync, mkdirSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { join, resolve } from 'node:path'
import fastifyStatic from '@fastify/static'
import Fastify from 'fastify'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Core, CoreOptions } from '../core/core'
import { CACHE_KEY_FILE, readOrCreateKeyFile } from '../core/db/key-file'
import { createCore } from '../core/index'
import { serveIpc } from '../shared/ipc-bridge'
import { allowedHosts, allowedOrigins, contentSecurityPolicy, newHostToken, tokensMatch } from './security'

/** Path of the IPC WebSocket; the renderer connects to it with `?token=`. */
export const HOST_SOCKET_PATH = '/ipc'

export interface HostOptions {
  /** Options for the core this host creates, or an already running core (the host will not close it). */
  core: CoreOptions | Core
  /** The built renderer bundle; defaults to out/renderer in the working directory. */
  rendererDir?: string
  /** 0 picks a free port. */
  port?: number
  /** Fixed access token (tests); a random one otherwise. */
  token?: string
}

export interface BrowserHost {
  /** Open this: it carries the access token in the fragment, which never reaches a server log. */
  readonly url: string
  readonly origin: string
  readonly port: number
  readonly token: string
  readonly core: Core
  close(): Promise<void>
}

function isCore(value: CoreOptions | Core): value is Core {
  return typeof (value as Core).handle === 'function'
}

/** With no keychain to ask, the browser host keeps its cache key in a file beside the cache, readable by its owner only. */
function withHostCacheKey(options: CoreOptions): CoreOptions {
  if (options.cacheKey) return options
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 })
  return { ...options, cacheKey: readOrCreateKeyFile(join(options.dataDir, CACHE_KEY_FILE)) }
}

/**
 * Runs the client core under Node and serves the renderer bundle plus the IPC protocol over
 * a loopback WebSocket: the desktop app for machines without the Electron runtime, and what
 * the end-to-end tests drive in Chromium.
 */
export async function startHost(options: HostOptions): Promise<BrowserHost> {
  const rendererDir = resolve(options.rendererDir ?? 'out/renderer')
  if (!existsSync(resolve(rendererDir, 'index.html'))) {
    throw new Error(`no renderer bundle in ${rendererDir}: build it first with \`npm run build\``)
  }
  const token = options.token ?? newHostToken()
  const ownsCore = !isCore(options.core)
  const core = isCore(options.core) ? options.core : await createCore(withHostCacheKey(options.core))

  const app = Fastify({ logger: false })
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 8 * 1024 * 1024 })
  let port = 0

  app.addHook('onRequest', async (request, reply) => {
    if (!allowedHosts(port).has(request.headers.host ?? '')) {
      return reply.code(421).send({ error: 'this host only answers on 127.0.0.1' })
    }
  })
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Content-Security-Policy', contentSecurityPolicy(port))
    reply.header('X-Content-Type-Options', 'nosniff')
    reply.header('Referrer-Policy', 'no-referrer')
    reply.header('Cache-Control', 'no-store')
    return payload
  })
  await app.register(fastifyStatic, { root: rendererDir, prefix: '/', index: 'index.html' })

  function refuse(socket: Duplex, status: number, reason: string): void {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }

  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (url.pathname !== HOST_SOCKET_PATH) return refuse(socket, 404, 'Not Found')
    if (!allowedHosts(port).has(request.headers.host ?? '')) return refuse(socket, 421, 'Misdirected Request')
    // Browsers always send Origin on WebSocket handshakes; a page from elsewhere is refused.
    if (!allowedOrigins(port).has(request.headers.origin ?? '')) return refuse(socket, 403, 'Forbidden')
    if (!tokensMatch(token, url.searchParams.get('token'))) return refuse(socket, 401, 'Unauthorized')
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws))
  })

  function attach(ws: WebSocket): void {
    const peer = serveIpc(core, (message) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
    })
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      let parsed: unknown
      try {
        parsed = JSON.parse(data.toString())
      } catch {
        return ws.send(JSON.stringify({ id: -1, error: { code: 'bad_request', message: 'messages must be JSON' } }))
      }
      void peer.receive(parsed)
    })
    ws.on('close', () => peer.dispose())
    ws.on('error', () => peer.dispose())
  }

  try {
    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 })
    const address = app.server.address()
    if (!address || typeof address === 'string') throw new Error('the host did not get a TCP port')
    port = address.port
  } catch (err) {
    // A port already taken must not leave a syncing core behind.
    await app.close().catch(() => {})
    if (ownsCore) await core.close()
    throw err
  }
  const origin = `http://127.0.0.1:${port}`

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    token,
    core,
    async close() {
      for (const ws of sockets.clients) ws.terminate()
      sockets.close()
      await app.close()
      if (ownsCore) await core.close()
    },
  }
}
