import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { io, type Socket } from 'socket.io-client'
import type { AgentStatus } from '../../src/shared/agent-status'
import type { Role, User } from '../../src/shared/domain'
import type { IntegrationInfo } from '../../src/shared/tokens'
import { SOCKET_PATH, type ClientToServerEvents, type Poke, type ServerToClientEvents } from '../../src/shared/sync'
import { startServer, type ServerConfigInput, type SyncServer } from '../../src/server/server'

/** Helpers for the server integration tests: a real server on a free loopback port over a temp SQLite file. */

export type SyncClient = Socket<ServerToClientEvents, ClientToServerEvents>

export interface TestServer {
  server: SyncServer
  dir: string
  dbPath: string
  cleanup(): Promise<void>
}

/** `beforeStart` may fill the database file (and the folder beside it) before the server opens it. */
export async function startTestServer(
  config: Partial<ServerConfigInput> = {},
  options: { beforeStart?(dbPath: string): Promise<void> } = {},
): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-server-'))
  const dbPath = path.join(dir, 'server.sqlite')
  await options.beforeStart?.(dbPath)
  const server = await startServer({ dbPath, host: '127.0.0.1', port: 0, logLevel: 'silent', outbound: 'sandbox', ...config })
  return {
    server,
    dir,
    dbPath,
    async cleanup() {
      await server.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function userWithToken(
  server: SyncServer,
  name: string,
  options: { role?: Role; inboxes?: string[] | null } = {},
): Promise<{ user: User; token: string }> {
  const user = await server.createUser({
    name,
    email: `${name.toLowerCase().replace(/\s+/g, '.')}@agents.test`,
    role: options.role ?? 'agent',
    inboxes: options.inboxes ?? null,
  })
  return { user, token: await server.createToken(user.id) }
}

/** An integration that may post inbound items (POST /api/v1/inbound) to `inboxes`, with its token. */
export function integrationWithToken(
  server: SyncServer,
  inboxes: string[],
  name = 'Test integration',
): Promise<{ integration: IntegrationInfo; token: string }> {
  return server.createIntegration({ name, inboxes })
}

/**
 * A connected sync client that records every poke it receives, and every list of user statuses
 * (only supervisors and admins get any). Both are listened for before connecting: a server sends
 * some at once, and they may arrive in the same read as the connection.
 */
export async function connectClient(url: string, token: string): Promise<{ socket: SyncClient; pokes: Poke[]; agentLists: AgentStatus[][] }> {
  const socket: SyncClient = io(url, { path: SOCKET_PATH, auth: { token }, transports: ['websocket'], reconnection: false })
  const pokes: Poke[] = []
  const agentLists: AgentStatus[][] = []
  socket.on('poke', (p) => pokes.push(p))
  socket.on('agents', (notice) => agentLists.push(notice.agents))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (err) => reject(err))
  })
  return { socket, pokes, agentLists }
}

/** The user's status in the newest list. */
export const latestStatus = (lists: AgentStatus[][], userId: string): AgentStatus | undefined => lists.at(-1)?.find((a) => a.userId === userId)

/** The connect error a handshake with this token gets, or null if it connects. */
export async function connectError(url: string, auth: Record<string, unknown>): Promise<string | null> {
  const socket: SyncClient = io(url, { path: SOCKET_PATH, auth, transports: ['websocket'], reconnection: false })
  try {
    return await new Promise<string | null>((resolve) => {
      socket.once('connect', () => resolve(null))
      socket.once('connect_error', (err) => resolve(err.message))
    })
  } finally {
    socket.close()
  }
}

// Response bodies are JSON the tests inspect field by field; typing each one would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any

export interface ApiResponse<T = Json> {
  status: number
  body: T
  headers: Headers
}

/** A JSON call to the REST API. */
export async function api<T = Json>(
  url: string,
  method: string,
  route: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(`${url}${route}`, {
    method,
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
}

export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
