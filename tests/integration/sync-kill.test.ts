import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  materialize,
  pullChangeLog,
  readCache,
  readCursor,
  startTestServer,
  tempDir,
  waitFor,
  waitForQuietServer,
  waitUntilSynced,
} from './support/sync-harness'

const CHILD = fileURLToPath(new URL('./support/core-child.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let dir: ReturnType<typeof tempDir>
let server: SyncServer
let child: ChildProcess | null = null
let core: Core | null = null

beforeEach(async () => {
  dir = tempDir()
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  child = null
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

function exited(proc: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.signalCode ?? proc.exitCode)
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)))
}

describe('a client process killed with SIGKILL while applying batches', () => {
  it('leaves cache and cursor consistent, and a restarted core finishes the sync', async () => {
    // The agent exists before the history, so its own row is among the first changes.
    const agent = await agentWithToken(server, 'Kim Killed')
    await seedDemo(server, { seed: 5, customers: 60, conversationsPerCustomer: 3, messagesPerConversation: 4, now: Date.UTC(2025, 0, 15) })
    // Outbound delivery reports keep landing for a moment after the seed.
    const total = await waitForQuietServer(server)
    expect(total).toBeGreaterThan(1_000)
    const dataDir = join(dir.path, 'client')

    let stderr = ''
    child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, server.url, agent.token, '5'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout?.resume()

    await waitFor(
      'the child to land its first batch',
      () => {
        if (child?.exitCode !== null) throw new Error(`the child exited early: ${stderr}`)
        return readCursor(dataDir) > 0
      },
      30_000,
      1,
    )
    child.kill('SIGKILL')
    expect(await exited(child)).toBe('SIGKILL')

    const log = await pullChangeLog(server.url, agent.token)
    const afterKill = readCache(dataDir)
    // Really mid-sync: some batches landed, most did not.
    expect(afterKill.cursor).toBeGreaterThan(0)
    expect(afterKill.cursor).toBeLessThan(total)
    // Every change up to the cursor is in the cache, and nothing after it.
    const expected = materialize(log, afterKill.cursor)
    expect(afterKill.server).toEqual(expected)
    expect(afterKill.current).toEqual(expected)

    core = await createCore({ dataDir, serverUrl: server.url, token: agent.token, batchSize: 200 })
    await waitUntilSynced(core, server, 60_000)
    const finished = readCache(dataDir)
    expect(finished.cursor).toBe(total)
    expect(finished.server).toEqual(materialize(log))
    expect(finished.current).toEqual(materialize(log))
  })
})
