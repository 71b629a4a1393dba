import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { cacheFileState } from '../core/db/cipher'
import { CACHE_KEY_FILE } from '../core/db/key-file'
import { CACHE_FILE } from '../core/db/open'
import { startHost, type BrowserHost } from './host'

/**
 * The host's doors: the HTTP side serves the bundle, the WebSocket side refuses anyone
 * without the token or from another origin, and answers the IPC protocol for the rest.
 * Runs a real core (against a server address nobody listens on: it simply stays offline).
 */

let dir: string
let host: BrowserHost

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threadline-host-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Threadline</title><div id="root"></div>')
  host = await startHost({
    core: { dataDir: join(dir, 'client'), serverUrl: 'http://127.0.0.1:9', token: 'not-used' },
    rendererDir: renderer,
    port: 0,
  })
})

afterAll(async () => {
  await host?.close()
  rmSync(dir, { recursive: true, force: true })
})

function open(options: { token?: string; origin?: string }): Promise<WebSocket | { status: number }> {
  const query = options.token === undefined ? '' : `?token=${encodeURIComponent(options.token)}`
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ipc${query}`, { origin: options.origin ?? host.origin })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }))
    ws.once('error', reject)
  })
}

function request(ws: WebSocket, message: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown>
      if ('event' in parsed) return
      ws.off('message', onMessage)
      resolve(parsed)
    }
    ws.on('message', onMessage)
    ws.send(typeof message === 'string' ? message : JSON.stringify(message))
  })
}

describe('browser host', () => {
  it('prints a loopback URL that carries the token in the fragment only', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${host.token}`)
  })

  it('encrypts its cache with a key made on first run, kept beside it and readable by its owner only', () => {
    const client = join(dir, 'client')
    expect(statSync(join(client, CACHE_KEY_FILE)).mode & 0o777).toBe(0o600)
    expect(statSync(join(client, CACHE_FILE)).mode & 0o777).toBe(0o600)
    expect(cacheFileState(join(client, CACHE_FILE))).toBe('encrypted')
  })

  it('serves the renderer with a strict content security policy', async () => {
    const res = await fetch(`${host.origin}/`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<div id="root">')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain(`ws://127.0.0.1:${host.port}`)
  })

  it('refuses a WebSocket without the token, with a wrong token, or from another origin', async () => {
    expect(await open({})).toEqual({ status: 401 })
    expect(await open({ token: 'guess' })).toEqual({ status: 401 })
    expect(await open({ token: host.token, origin: 'http://evil.example' })).toEqual({ status: 403 })
  })

  it('refuses HTTP requests addressed to another host name (DNS rebinding)', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ipc?token=${host.token}`, {
        origin: host.origin,
        headers: { host: `attacker.example:${host.port}` },
      })
      ws.once('unexpected-response', (_req, r) => resolve(r.statusCode ?? 0))
      ws.once('open', () => reject(new Error('a rebinding page got in')))
      ws.once('error', reject)
    })
    expect(res).toBe(421)
  })

  it('answers the IPC protocol, with clear errors for bad requests, and stays usable', async () => {
    const ws = await open({ token: host.token })
    if (!(ws instanceof WebSocket)) throw new Error(`refused with ${ws.status}`)
    try {
      const unknown = await request(ws, { id: 1, method: 'drop.tables', args: {} })
      expect(unknown).toMatchObject({ id: 1, error: { code: 'bad_request' } })

      const badArgs = await request(ws, { id: 2, method: 'conversation.reply', args: { conversationId: 'c1', text: '   ' } })
      expect(badArgs).toMatchObject({ id: 2, error: { code: 'bad_request' } })
      expect(String((badArgs.error as { message: string }).message)).toMatch(/reply needs text/)

      const notJson = await request(ws, 'this is not json')
      expect(notJson).toMatchObject({ error: { code: 'bad_request', message: 'messages must be JSON' } })

      const state = await request(ws, { id: 3, method: 'sync.state', args: {} })
      expect(state).toMatchObject({ id: 3, result: { pending: 0 } })
    } finally {
      ws.close()
    }
  })
})
