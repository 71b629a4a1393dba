import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { io, type Socket } from 'socket.io-client'
import type { MutationName } from '../../../src/shared/mutations'
import {
  Poke,
  PullResponse,
  PushResponse,
  SOCKET_PATH,
  SocketError,
  type Change,
  type ClientToServerEvents,
  type MutationResult,
  type ServerToClientEvents,
} from '../../../src/shared/sync'
import type { EntityKey, State } from './sync-harness'

/**
 * Pieces of a small cluster for the scale-out tests: server nodes as real processes (so one can
 * be killed with SIGKILL), a TCP load balancer in front of them, and lightweight sync clients that
 * follow the sync protocol exactly as the client core does, keeping their state in memory.
 */

export const ROOT = path.resolve(import.meta.dirname, '../../..')

/** The environment of a child: the test run's, without settings that would change the server's. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('THREADLINE_') || name === 'DATABASE_URL' || name === 'REDIS_URL') delete env[name]
  return { ...env, ...extra }
}

export interface NodeProcess {
  readonly name: string
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** Everything the process wrote, for failure messages. */
  output(): string
  /** Resolves with the signal or exit code once the process is gone. */
  exited(): Promise<NodeJS.Signals | number | null>
  /** SIGKILL: no shutdown, no goodbye to the database, Redis or the clients. */
  kill(): Promise<NodeJS.Signals | number | null>
  /** SIGTERM and wait, for clean-up. */
  stop(): Promise<void>
}

/**
 * `node --import tsx src/server/main.ts` on a free port (the loader runs in the server's own
 * process, so a signal reaches the server itself, not a wrapper), configured by environment as
 * in production. Resolves once the node says it is listening.
 */
export async function spawnNode(
  name: string,
  options: { dataDir: string; databaseUrl: string; redisUrl: string; logLevel?: string },
): Promise<NodeProcess> {
  fs.mkdirSync(options.dataDir, { recursive: true })
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({
      THREADLINE_DB: path.join(options.dataDir, 'server.sqlite'),
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      THREADLINE_HOST: '127.0.0.1',
      THREADLINE_PORT: '0',
      THREADLINE_OUTBOUND: 'sandbox',
      THREADLINE_LOG_LEVEL: options.logLevel ?? 'warn',
    }),
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const gone = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${name} did not start within 30 s:\n${output}`)), 30_000)
    const look = (): void => {
      const found = /listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (!found) return
      clearTimeout(timer)
      child.stdout?.off('data', look)
      resolve(found)
    }
    child.stdout?.on('data', look)
    void gone.then((how) => {
      clearTimeout(timer)
      reject(new Error(`node ${name} exited (${String(how)}) before listening:\n${output}`))
    })
  })
  return {
    name,
    url,
    port: Number(new URL(url).port),
    child,
    output: () => output,
    exited: () => gone,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      return gone
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(timer)
    },
  }
}

export interface Balancer {
  readonly url: string
  /** Which backend port each live client connection was sent to. */
  readonly routed: Map<net.Socket, number>
  close(): Promise<void>
}

/**
 * A TCP load balancer in the test process, as one in front of a cluster would be: each new
 * connection goes to the first backend of `preference` that accepts it, so when a node dies its
 * connections are cut and their clients, reconnecting to the same address, land on a node that
 * is still up. Connections stay whole (a websocket is one TCP connection), as with sticky routing.
 */
export async function startBalancer(preference: () => readonly number[]): Promise<Balancer> {
  const routed = new Map<net.Socket, number>()
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    open.add(client)
    client.pause()
    let upstream: net.Socket | null = null
    client.on('error', () => undefined)
    client.on('close', () => {
      open.delete(client)
      routed.delete(client)
      upstream?.destroy()
    })
    const ports = [...preference()]
    const attempt = (i: number): void => {
      const port = ports[i]
      if (port === undefined || client.destroyed) {
        client.destroy()
        return
      }
      const up = net.connect({ host: '127.0.0.1', port })
      let connected = false
      up.on('error', () => {
        if (!connected) attempt(i + 1)
      })
      up.once('connect', () => {
        connected = true
        upstream = up
        if (client.destroyed) {
          up.destroy()
          return
        }
        routed.set(client, port)
        up.on('close', () => client.destroy())
        up.pipe(client)
        client.pipe(up)
        client.resume()
      })
    }
    attempt(0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    async close() {
      for (const socket of open) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export interface PushedMutation {
  id: number
  name: MutationName
  args: Record<string, unknown>
  /** performance.now() when it was queued. */
  queuedAt: number
}

export interface AckedMutation extends PushedMutation {
  outcome: MutationResult['outcome']
  error?: string
  /** performance.now() when the acknowledgement arrived. */
  ackedAt: number
  /** How many times it was sent (more than once: a connection lost it, or its answer). */
  attempts: number
}

type LightSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/**
 * A sync client without a cache file: it follows the protocol exactly as the core's engine does
 * (one queue for sync work; pull by cursor on connect and whenever a poke's `after` is not its
 * cursor; a poke's changes applied only when `after` equals its cursor) and keeps entity → row
 * in memory. It pushes its own mutations one at a time under one client id, retrying an
 * unacknowledged one with the same id after reconnecting.
 */
export class LightClient {
  readonly clientId = randomUUID()
  readonly socket: LightSocket
  cursor = 0
  readonly state: State = new Map()
  /** When each message first appeared in this client's state (performance.now()). */
  readonly firstSeen = new Map<string, number>()
  readonly acked: AckedMutation[] = []
  readonly outbox: PushedMutation[] = []
  /** Times this client connected (the first connect included), pulled a page, and was poked. */
  connects = 0
  pulls = 0
  pokes = 0
  errors: string[] = []
  private queue: Promise<void> = Promise.resolve()
  private nextMutationId = 1
  private readonly attempts = new Map<number, number>()
  private flushing: Promise<void> | null = null
  private closed = false

  constructor(
    readonly name: string,
    url: string,
    token: string,
  ) {
    this.socket = io(url, {
      path: SOCKET_PATH,
      auth: { token },
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 1_000,
      randomizationFactor: 0.5,
    })
    this.socket.on('connect', () => {
      this.connects += 1
      this.enqueue(() => this.pullAll())
      void this.flush()
    })
    this.socket.on('disconnect', () => {
      // Nothing buffered for the dead connection is replayed on the next: the reconnect re-sends.
      this.socket.sendBuffer.length = 0
    })
    this.socket.on('poke', (raw) => this.enqueue(() => this.onPoke(raw)))
  }

  get connected(): boolean {
    return this.socket.connected
  }

  /** Resolves once connected (now or later). */
  whenConnected(timeoutMs = 15_000): Promise<void> {
    if (this.socket.connected) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not connect within ${timeoutMs} ms`)), timeoutMs)
      this.socket.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** Queues a mutation and starts sending; returns its mutation id. */
  push(name: MutationName, args: Record<string, unknown>): number {
    const id = this.nextMutationId++
    this.outbox.push({ id, name, args, queuedAt: performance.now() })
    void this.flush()
    return id
  }

  /** Sends the outbox in order; resolves when it is empty or the client is offline. */
  flush(): Promise<void> {
    this.flushing ??= this.sendOutbox().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  close(): void {
    this.closed = true
    this.socket.disconnect()
    this.socket.removeAllListeners()
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (this.closed) return
      try {
        await task()
      } catch (err) {
        // A pull cut short by a dying node: the reconnect pulls again from the cursor. One that
        // failed on a live connection is tried again shortly, as the engine's retry does.
        this.errors.push(err instanceof Error ? err.message : String(err))
        if (this.socket.connected) setTimeout(() => this.enqueue(() => this.pullAll()), 300)
      }
    })
  }

  private async onPoke(raw: unknown): Promise<void> {
    const poke = Poke.parse(raw)
    this.pokes += 1
    if (poke.cursor <= this.cursor) return
    if (poke.after !== this.cursor) return this.pullAll()
    this.apply(poke.cursor, poke.changes)
  }

  private async pullAll(): Promise<void> {
    for (;;) {
      if (!this.socket.connected) return
      this.pulls += 1
      const page = PullResponse.parse(await this.request('pull', { after: this.cursor, limit: 1_000 }))
      this.apply(page.cursor, page.changes)
      if (!page.hasMore) return
    }
  }

  private apply(cursor: number, changes: readonly Change[]): void {
    const now = performance.now()
    for (const change of changes) {
      const key: EntityKey = `${change.entity}:${change.id}`
      if (change.op === 'delete') this.state.delete(key)
      else this.state.set(key, change.data)
      if (change.entity === 'message' && !this.firstSeen.has(change.id)) this.firstSeen.set(change.id, now)
    }
    this.cursor = cursor
  }

  private async sendOutbox(): Promise<void> {
    while (!this.closed && this.socket.connected) {
      const next = this.outbox[0]
      if (!next) return
      let results: MutationResult[]
      this.attempts.set(next.id, (this.attempts.get(next.id) ?? 0) + 1)
      try {
        results = PushResponse.parse(await this.request('push', { clientId: this.clientId, mutations: [next] })).results
      } catch (err) {
        // Lost with its connection (or unanswered): sent again, same id, once reconnected (or
        // shortly, if the connection is still up).
        this.errors.push(err instanceof Error ? err.message : String(err))
        if (this.socket.connected) setTimeout(() => void this.flush(), 300)
        return
      }
      const result = results.find((r) => r.id === next.id)
      if (!result) throw new Error(`${this.name}: the server did not answer mutation ${next.id}`)
      this.outbox.shift()
      this.acked.push({
        ...next,
        outcome: result.outcome,
        ackedAt: performance.now(),
        attempts: this.attempts.get(next.id) ?? 1,
        ...(result.error ? { error: result.error } : {}),
      })
    }
  }

  /** One acknowledged request that fails as soon as the connection drops, like the engine's. */
  private async request(event: 'pull' | 'push', payload: unknown, timeoutMs = 10_000): Promise<unknown> {
    if (!this.socket.connected) throw new Error('not connected')
    let onDisconnect: (() => void) | undefined
    const dropped = new Promise<never>((_, reject) => {
      onDisconnect = () => reject(new Error(`connection lost during ${event}`))
      this.socket.once('disconnect', onDisconnect)
    })
    const timed = this.socket.timeout(timeoutMs) as unknown as { emitWithAck(ev: string, arg: unknown): Promise<unknown> }
    try {
      const response = await Promise.race([timed.emitWithAck(event, payload), dropped])
      const error = SocketError.safeParse(response)
      if (error.success) throw new Error(`${event}: ${error.data.error.code}: ${error.data.error.message}`)
      return response
    } finally {
      if (onDisconnect) this.socket.off('disconnect', onDisconnect)
      dropped.catch(() => undefined)
    }
  }
}

/** The value at quantile q (0..1) of the numbers, by nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** Whether the node's /metrics says it holds the lease `work` (it runs that work for the cluster). */
export async function holdsLease(url: string, work: string): Promise<boolean> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text()
    return new RegExp(`^threadline_leases_held\\{work="${work}"\\} 1$`, 'm').test(text)
  } catch {
    return false
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
