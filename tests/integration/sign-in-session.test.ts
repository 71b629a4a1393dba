import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import { SESSION_FILE } from '../../src/core/session/session-file'
import { hashToken } from '../../src/server/auth/tokens'
import { seedDemo } from '../../src/server/demo/seed'
import type { SyncServer } from '../../src/server/server'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import type { Note } from '../../src/shared/domain'
import type { ConversationListItem, IpcEventMessage, SessionState, SignInResult } from '../../src/shared/ipc'
import { agentWithToken, materialize, pullChangeLog, readCache, startTestServer, syncState, tempDir, waitFor, waitUntilSynced } from './support/sync-harness'

/**
 * The client core signing in with a password, losing its token to a revocation, signing in
 * again, and a second user taking over the device: against the real server, on real cache files.
 */

const PASSWORD = 'a long enough password'
let dir: ReturnType<typeof tempDir>
let dbPath: string
let server: SyncServer
let core: Core | null = null
let events: IpcEventMessage[]

beforeEach(async () => {
  dir = tempDir()
  dbPath = join(dir.path, 'server.sqlite')
  server = await startTestServer(dbPath)
  await seedDemo(server, { seed: 3, customers: 4, conversationsPerCustomer: 1, messagesPerConversation: 2, now: Date.UTC(2025, 0, 15) })
  events = []
})

afterEach(async () => {
  await core?.close()
  core = null
  await server.close()
  dir.remove()
})

async function withPassword(name: string) {
  const { user } = await agentWithToken(server, name)
  await server.setPassword(user.id, PASSWORD)
  return user
}

const dataDir = () => join(dir.path, 'device')
const storedToken = () => (JSON.parse(readFileSync(join(dataDir(), SESSION_FILE), 'utf8')) as { token?: string }).token
const state = async (c: Core) => (await c.handle('session.state', {})) as SessionState
const signIn = async (c: Core, email: string, extra: { discardOtherUsersActions?: boolean } = {}) =>
  (await c.handle('session.signIn', { serverUrl: server.url, email, password: PASSWORD, ...extra })) as SignInResult

async function open(): Promise<Core> {
  core = await createCore({ dataDir: dataDir(), batchSize: 100 })
  core.subscribe((m) => events.push(m))
  return core
}

describe('signing in from the core', () => {
  it('starts signed out, signs in, and keeps the token in a file only its owner can read', async () => {
    const ann = await withPassword('Ann Agent')
    const c = await open()
    expect(await state(c)).toEqual({ status: 'signed-out', serverUrl: null, email: null, reason: null, pendingActions: 0 })
    await expect(c.handle('session.get', {})).rejects.toThrow(/Not signed in yet: sign in/)

    const wrong = (await c.handle('session.signIn', { serverUrl: server.url, email: ann.email, password: 'not it at all' })) as SignInResult
    expect(wrong).toEqual({ ok: false, reason: 'wrong_credentials', message: 'Wrong email or password.' })

    const result = await signIn(c, ann.email)
    expect(result).toMatchObject({ ok: true, session: { status: 'signed-in', serverUrl: server.url, user: { id: ann.id } } })
    const changes = events.filter((e): e is IpcEventMessage<'session.changed'> => e.event === 'session.changed')
    expect(changes.map((e) => e.payload.status)).toEqual(['signed-in'])
    await waitUntilSynced(c, server)
    expect(statSync(join(dataDir(), SESSION_FILE)).mode & 0o777).toBe(0o600)

    // A restart signs in from the stored file, without asking again.
    await c.close()
    const again = await open()
    expect(await state(again)).toMatchObject({ status: 'signed-in', user: { id: ann.id } })
    await waitUntilSynced(again, server)
  })

  it('a revoked token brings back the sign-in screen; queued actions wait and are sent after signing in again', async () => {
    const ann = await withPassword('Ann Agent')
    const c = await open()
    await signIn(c, ann.email)
    await waitUntilSynced(c, server)
    const target = ((await c.handle('inbox.list', {})) as ConversationListItem[])[0]!
    const token = storedToken()!

    // Offline, the agent writes a note; meanwhile the token is revoked (signed out elsewhere).
    const port = server.port
    await server.close()
    await c.handle('conversation.note', { conversationId: target.id, text: 'Written before the revocation' })
    const store = openSqliteStore(dbPath)
    await store.write((w) => w.deleteToken(hashToken(token)))
    await store.close()
    server = await startTestServer(dbPath, port)

    const refused = await waitFor('the sign-in screen', async () => {
      const s = await state(c)
      return s.status === 'signed-out' ? s : false
    })
    expect(refused.reason).toMatch(/no longer accepts this device's sign-in/)
    expect(refused).toMatchObject({ email: ann.email, serverUrl: server.url, pendingActions: 1 })
    expect(storedToken()).toBeUndefined()
    expect(readCache(dataDir()).outbox.pending).toBe(1)

    expect(await signIn(c, ann.email)).toMatchObject({ ok: true })
    await waitUntilSynced(c, server)
    const onServer = materialize(await pullChangeLog(server.url, storedToken()!))
    const notes = [...onServer].filter(([key]) => key.startsWith('note:')).map(([, note]) => note as Note)
    expect(notes.filter((n) => n.text === 'Written before the revocation' && n.conversationId === target.id)).toHaveLength(1)
  })

  it("signing out revokes the token; another user's sign-in asks before dropping unsent actions, then wipes the cache", async () => {
    const ann = await withPassword('Ann Agent')
    const ben = await withPassword('Ben Other')
    const c = await open()
    await signIn(c, ann.email)
    await waitUntilSynced(c, server)
    const annToken = storedToken()!

    expect(await c.handle('session.signOut', {})).toMatchObject({ status: 'signed-out', reason: null, email: ann.email })
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${annToken}` } })).status).toBe(401)
    expect((await syncState(c)).status).toBe('offline')

    const target = ((await c.handle('inbox.list', {})) as ConversationListItem[])[0]!
    await c.handle('conversation.note', { conversationId: target.id, text: 'Ann never sent this' })
    const asked = await signIn(c, ben.email)
    expect(asked).toMatchObject({ ok: false, reason: 'other_users_actions' })
    expect(asked.ok ? '' : asked.message).toMatch(/1 action\(s\) by Ann Agent/)
    expect(await state(c)).toMatchObject({ status: 'signed-out', pendingActions: 1 })

    expect(await signIn(c, ben.email, { discardOtherUsersActions: true })).toMatchObject({ ok: true, session: { user: { id: ben.id } } })
    await waitUntilSynced(c, server)
    expect(readCache(dataDir()).outbox).toEqual({ pending: 0, failed: 0 })
    expect(((await c.handle('session.get', {})) as { user: { id: string } }).user.id).toBe(ben.id)
  })
})
