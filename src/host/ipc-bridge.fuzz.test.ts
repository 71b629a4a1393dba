import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startHost, HOST_SOCKET_PATH, type BrowserHost } from './host'

/**
 * Property-based fuzzing of the browser host's IPC WebSocket, the renderer's pipe to the core
 * outside Electron: whatever frame a page sends, every answer is a response of the protocol's
 * shape, and the connection and the core stay up for the next request.
 */

const RUNS = 150

let dir: string
let host: BrowserHost
let ws: WebSocket
const responses: Record<string, unknown>[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threadline-host-fuzz-'))
  const renderer = join(dir, 'renderer')
  mkdirSync(renderer)
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Threadline</title>')
  // A server address nobody listens on: the core stays offline.
  host = await startHost({ core: { dataDir: join(dir, 'client'), serverUrl: 'http://127.0.0.1:9', token: 'not-used' }, rendererDir: renderer, port: 0 })
  ws = new WebSocket(`ws://127.0.0.1:${host.port}${HOST_SOCKET_PATH}?token=${host.token}`, { origin: host.origin })
  ws.on('message', (data) => {
    const parsed = JSON.parse(data.toString()) as Record<string, unknown>
    if (!('event' in parsed)) responses.push(parsed)
  })
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
})

afterAll(async () => {
  ws?.close()
  await host?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The answer to a well-formed request sent after the fuzzed frame: the pipe still works. */
async function nextAnswerTo(id: number): Promise<Record<string, unknown>> {
  ws.send(JSON.stringify({ id, method: 'sync.state', args: {} }))
  const deadline = Date.now() + 5_000
  for (;;) {
    const found = responses.find((r) => r.id === id)
    if (found) return found
    if (Date.now() > deadline) throw new Error(`no answer to request ${id}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

const frame = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => ({ text: s })),
  fc.jsonValue({ maxDepth: 3 }).map((j) => ({ text: JSON.stringify(j) ?? 'null' })),
  fc
    .record(
      {
        id: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
        method: fc.oneof(fc.constantFrom('sync.state', 'session.signIn', '__proto__', 'constructor', 'inbox.list'), fc.string()),
        args: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    )
    .map((r) => ({ text: JSON.stringify(r) })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ binary: Buffer.from(bytes) })),
)

const ResponseShape = expect.objectContaining({ id: expect.any(Number) })

describe('fuzzed browser host IPC socket', () => {
  it('answers every frame with responses of the protocol shape and keeps serving', async () => {
    let check = 0
    await fc.assert(
      fc.asyncProperty(frame, async (f) => {
        responses.length = 0
        if ('binary' in f) ws.send(f.binary, { binary: true })
        else ws.send(f.text)
        // Negative ids are the host's own (the answer to a frame that is not JSON): never the checker's.
        const answer = await nextAnswerTo(2 ** 40 + ++check)
        expect(answer).toMatchObject({ result: expect.objectContaining({ status: expect.any(String) }) })
        for (const r of responses) {
          expect(r).toEqual(ResponseShape)
          if ('error' in r) expect((r.error as { code: string }).code, JSON.stringify(r)).not.toBe('internal')
        }
        expect(ws.readyState).toBe(WebSocket.OPEN)
      }),
      { numRuns: RUNS },
    )
  })
})
