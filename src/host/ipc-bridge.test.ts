import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Core } from '../core/core'
import { createCore } from '../core/index'
import { serveIpc } from '../shared/ipc-bridge'
import { IpcCallError, createIpcClient } from '../shared/ipc-client'

/**
 * Both ends of the IPC protocol over a real MessagePort pair (the pipe Electron uses), with a
 * real core behind it. The core points at a server nobody runs: it stays offline, which is
 * all these calls need.
 */

let dir: string
let core: Core

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'threadline-ipc-'))
  core = await createCore({ dataDir: dir, serverUrl: 'http://127.0.0.1:9', token: 'unused' })
})

afterAll(async () => {
  await core?.close()
  rmSync(dir, { recursive: true, force: true })
})

function connect() {
  const { port1, port2 } = new MessageChannel()
  let sent = 0
  const client = createIpcClient((request) => {
    sent++
    port1.postMessage(request)
  })
  const peer = serveIpc(core, (message) => port2.postMessage(message))
  port2.on('message', (message) => void peer.receive(message))
  port1.on('message', (message) => client.receive(message))
  return {
    api: client.api,
    client,
    sent: () => sent,
    close() {
      peer.dispose()
      port1.close()
      port2.close()
    },
  }
}

describe('IPC bridge', () => {
  it('answers a call with the core result', async () => {
    const pipe = connect()
    try {
      const state = await pipe.api.call('sync.state', {})
      expect(state.pending).toBe(0)
      expect(['connecting', 'offline', 'syncing', 'online']).toContain(state.status)
    } finally {
      pipe.close()
    }
  })

  it('rejects an unknown method before anything crosses the pipe', async () => {
    const pipe = connect()
    try {
      const call = pipe.api.call('drop.everything' as never, {} as never)
      await expect(call).rejects.toThrow(IpcCallError)
      await expect(call).rejects.toThrow('unknown method: drop.everything')
      expect(pipe.sent()).toBe(0)
    } finally {
      pipe.close()
    }
  })

  it('carries the core validation error back with its code and a readable message', async () => {
    const pipe = connect()
    try {
      const error = await pipe.api.call('conversation.note', { conversationId: 'c1', text: '  ' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(IpcCallError)
      expect((error as IpcCallError).code).toBe('bad_request')
      expect((error as IpcCallError).message).toContain('a note needs text')
      // The pipe still works after a refused call.
      await expect(pipe.api.call('sync.state', {})).resolves.toMatchObject({ pending: 0 })
    } finally {
      pipe.close()
    }
  })

  it('rejects calls still waiting when the pipe is declared gone', async () => {
    const client = createIpcClient(() => {})
    const waiting = client.api.call('sync.state', {})
    client.failPending('the connection to the Threadline host was lost')
    await expect(waiting).rejects.toThrow('the connection to the Threadline host was lost')
  })

  it('delivers pushed events to subscribers until they unsubscribe', () => {
    const client = createIpcClient(() => {})
    const seen: string[][] = []
    const off = client.api.on('data.changed', (change) => seen.push(change.customerIds))
    client.receive({ event: 'data.changed', payload: { entities: ['message'], customerIds: ['cust-1'] } })
    off()
    client.receive({ event: 'data.changed', payload: { entities: ['message'], customerIds: ['cust-2'] } })
    expect(seen).toEqual([['cust-1']])
  })
})
