import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../src/server/server'
import { api, connectClient } from './server-fixtures'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
let dir: string
let dbPath: string

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-cli-'))
  dbPath = path.join(dir, 'server.sqlite')
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Runs `npm run cli -- …` as a real process against the test database. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, THREADLINE_DB: dbPath },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('cli', () => {
  it('creates users and tokens that the server accepts', async () => {
    const created = await cli('user:create', '--name', 'Kim Lee', '--email', 'Kim@Example.com', '--role', 'supervisor', '--inboxes', 'support, sales')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/created supervisor Kim Lee <kim@example.com>.*inboxes: support, sales/)

    const token = await cli('token:create', '--email', 'kim@example.com')
    expect(token.code).toBe(0)
    const plaintext = token.stdout.trim().split('\n').at(-1) ?? ''
    expect(plaintext).toMatch(/^tl_/)

    const listed = await cli('users:list')
    expect(listed.stdout).toMatch(/kim@example.com\tsupervisor\tKim Lee/)

    const server = await startServer({ dbPath, logLevel: 'silent' })
    try {
      const me = await api(server.url, 'GET', '/api/v1/me', { token: plaintext })
      expect(me.status).toBe(200)
      expect(me.body).toMatchObject({ email: 'kim@example.com', inboxes: ['support', 'sales'] })
      // Only the hash is stored: the plaintext appears nowhere in the database file.
      expect(fs.readFileSync(dbPath).includes(Buffer.from(plaintext))).toBe(false)
    } finally {
      await server.close()
    }
  })

  it('explains what is wrong with a command', async () => {
    const role = await cli('user:create', '--name', 'X', '--email', 'x@example.com', '--role', 'owner')
    expect(role.code).toBe(2)
    expect(role.stderr).toMatch(/--role must be agent, supervisor, admin, not "owner"/)
    const missing = await cli('user:create', '--name', 'X')
    expect(missing.stderr).toMatch(/user:create needs --email, --role/)
    const unknown = await cli('users:purge')
    expect(unknown.stderr).toMatch(/unknown command "users:purge"[\s\S]*usage: npm run cli/)
    expect((await cli('user:create', '--name', 'Lee', '--email', 'lee@example.com', '--role', 'agent')).code).toBe(0)
    const duplicate = await cli('user:create', '--name', 'Lee Two', '--email', 'LEE@example.com', '--role', 'agent')
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toMatch(/a user with email lee@example.com already exists/)
    const noUser = await cli('token:create', '--email', 'ghost@example.com')
    expect(noUser.stderr).toMatch(/no user with email ghost@example.com/)
  })

  it('makes admins, changes users, and never leaves the server without an active admin', async () => {
    expect((await cli('user:create', '--name', 'Ada Admin', '--email', 'ada@example.com', '--role', 'admin')).stdout).toMatch(/created admin Ada Admin/)
    expect((await cli('user:create', '--name', 'Abe Agent', '--email', 'abe@example.com', '--role', 'agent')).code).toBe(0)
    const changed = await cli('user:update', '--email', 'abe@example.com', '--role', 'supervisor', '--team', 'Billing', '--inboxes', 'SMS,Email')
    expect(changed.stdout).toMatch(/updated supervisor Abe Agent <abe@example.com> \(team: Billing, inboxes: SMS, Email\)/)

    const demote = await cli('user:update', '--email', 'ada@example.com', '--role', 'agent')
    expect(demote.code).toBe(1)
    expect(demote.stderr).toMatch(/Ada Admin is the last active admin: make another user an admin before demoting or deactivating them/)
    expect((await cli('user:update', '--email', 'ada@example.com', '--deactivate')).stderr).toMatch(/last active admin/)

    expect((await cli('token:create', '--email', 'abe@example.com')).code).toBe(0)
    const deactivated = await cli('user:update', '--email', 'abe@example.com', '--deactivate')
    expect(deactivated.stdout).toMatch(/updated supervisor Abe Agent .*deactivated\); their tokens are revoked/)
    expect((await cli('tokens:list', '--email', 'abe@example.com')).stdout).toMatch(/abe@example.com has no tokens/)
    const refused = await cli('token:create', '--email', 'abe@example.com')
    expect(refused.stderr).toMatch(/abe@example.com is deactivated: reactivate them before giving them a token/)
    expect((await cli('users:list')).stdout).toMatch(/abe@example.com\tsupervisor\tAbe Agent\tteam: Billing\tinboxes: SMS,Email\tdeactivated /)
    expect((await cli('user:update', '--email', 'abe@example.com', '--reactivate', '--all-inboxes', '--no-team')).stdout).toMatch(
      /updated supervisor Abe Agent <abe@example.com> \(team: -, inboxes: all\)/,
    )
    expect((await cli('user:update', '--email', 'abe@example.com')).stderr).toMatch(/user:update needs something to change/)
  })

  it('lists tokens without showing them, and revokes one: a running server closes its connection', async () => {
    expect((await cli('user:create', '--name', 'Tia Token', '--email', 'tia@example.com', '--role', 'agent')).code).toBe(0)
    const created = await cli('token:create', '--email', 'tia@example.com', '--label', 'laptop')
    const token = created.stdout.trim().split('\n').at(-1) ?? ''
    const listed = await cli('tokens:list', '--email', 'tia@example.com')
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/^\S+\ttia@example.com\tlaptop\tcreated \S+\tlast used never\texpires \S+$/m)
    expect(listed.stdout).not.toContain(token)
    const id = listed.stdout.split('\t')[0] ?? ''

    const server = await startServer({ dbPath, logLevel: 'silent' })
    try {
      const { socket } = await connectClient(server.url, token)
      const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve))
      const revoked = await cli('token:revoke', '--id', id)
      expect(revoked.code).toBe(0)
      expect(await closed).toBe('io server disconnect')
      expect((await api(server.url, 'GET', '/api/v1/me', { token })).status).toBe(401)
      socket.close()
    } finally {
      await server.close()
    }
    expect((await cli('token:revoke', '--id', id)).stderr).toMatch(/no token with id/)
    expect((await cli('token:revoke')).stderr).toMatch(/token:revoke needs --id/)
  })

  it('creates an integration scoped to inboxes, prints its token once, lists and revokes it', async () => {
    const created = await cli('integration:create', '--name', 'Zapier', '--inboxes', 'SMS, Support email')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/created integration Zapier \(id \S+, inboxes: SMS, Support email\)/)
    const token = created.stdout.trim().split('\n').at(-1) ?? ''
    expect(token).toMatch(/^tli_/)
    const listed = await cli('integrations:list')
    expect(listed.stdout).toMatch(/\tZapier\tinboxes: SMS,Support email\tcreated \S+\tlast used never\tactive/)
    expect(listed.stdout).not.toContain(token)
    const id = listed.stdout.split('\n').find((l) => l.includes('Zapier'))?.split('\t')[0] ?? ''

    const sms = { channel: 'sms', inbox: 'SMS', externalId: 'SM-cli', from: { kind: 'phone', address: '+14155550123' }, text: 'hi' }
    const server = await startServer({ dbPath, logLevel: 'silent' })
    try {
      expect((await api(server.url, 'POST', '/api/v1/inbound', { token, body: sms })).status).toBe(201)
      expect((await api(server.url, 'POST', '/api/v1/inbound', { token, body: { ...sms, inbox: 'Sales', externalId: 'SM-2' } })).status).toBe(403)
      expect((await cli('integration:revoke', '--id', id)).code).toBe(0)
      expect((await api(server.url, 'POST', '/api/v1/inbound', { token, body: { ...sms, externalId: 'SM-3' } })).status).toBe(401)
    } finally {
      await server.close()
    }
    expect((await cli('integrations:list')).stdout).toMatch(/\tZapier\t.*\trevoked /)
    expect((await cli('integration:create', '--name', 'Nothing')).stderr).toMatch(/integration:create needs --inboxes/)
    expect((await cli('integration:create', '--name', 'Blank', '--inboxes', ' , ')).stderr).toMatch(/at least one inbox/)
  })

  it('prints agents’ ratings of summaries, newest first, with the text they judged', async () => {
    const server = await startServer({ dbPath, logLevel: 'silent', summaryDebounceMs: 50 })
    try {
      const user = await server.createUser({ name: 'Rater', email: 'rater@example.com', role: 'agent', inboxes: null })
      const token = await server.createToken(user.id)
      const { customerId } = await server.ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-rate', from: { kind: 'phone', address: '+14155550188' }, text: 'Order 77031 is late.' })
      let story: { id: string; generatedAt: number; text: string } | undefined
      for (let i = 0; i < 200 && !story; i++) {
        const res = await api(server.url, 'GET', `/api/v1/customers/${customerId}/summaries`, { token })
        story = (res.body.items as { id: string; kind: string; generatedAt: number; text: string }[]).find((s) => s.kind === 'customer_story')
        if (!story) await new Promise((r) => setTimeout(r, 25))
      }
      if (!story) throw new Error('no story was written')
      const rated = await api(server.url, 'POST', `/api/v1/summaries/${encodeURIComponent(story.id)}/feedback`, { token, body: { generatedAt: story.generatedAt, rating: 'down' } })
      expect(rated.status).toBe(204)
      const printed = await cli('summaries:feedback')
      expect(printed.code).toBe(0)
      const lines = printed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
      expect(lines).toEqual([
        expect.objectContaining({ summaryId: story.id, userId: user.id, rating: 'down', provider: 'embedded', summaryText: story.text, generatedAt: new Date(story.generatedAt).toISOString() }),
      ])
    } finally {
      await server.close()
    }
    expect((await cli('summaries:feedback', '--limit', 'all')).stderr).toMatch(/--limit needs a whole number above 0/)
  })
})
