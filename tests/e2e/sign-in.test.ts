import { readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignInPage } from './pages/sign-in-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * A new device: the browser host starts with no token, so the agent signs in with the server
 * address, email and password, works in the inbox, signs out, and is back at the sign-in screen.
 */

const PASSWORD = 'lamp-shade-4411'
let env: E2eEnvironment

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** The core's own record of the sign-in, beside its cache. */
function sessionFile(): { path: string; token?: string; mode: number } {
  const path = join(env.dir, 'client', 'session.json')
  return { path, ...(JSON.parse(readFileSync(path, 'utf8')) as { token?: string }), mode: statSync(path).mode & 0o777 }
}

beforeAll(async () => {
  env = await startEnvironment({
    signedOut: true,
    async seed(server) {
      const agent = await server.createUser({ name: 'Rosa Diaz', email: 'rosa@example.test', role: 'agent', team: 'Support' })
      await server.setPassword(agent.id, PASSWORD)
      await server.ingest({
        channel: 'sms',
        inbox: 'SMS',
        externalId: 'SM-sign-in-1',
        from: { kind: 'phone', address: '+14155550188', name: 'Omar Haddad' },
        text: 'Is my order on its way?',
      })
      return agent
    },
  })
}, 180_000)

afterAll(async () => {
  await env?.close()
})

describe('signing in and out', () => {
  it('refuses a wrong password, lets the right one in, and signs out back to the sign-in screen', async () => {
    const signIn = new SignInPage(env.page)
    const workspace = new WorkspacePage(env.page)
    await env.page.goto(env.host.url)
    await signIn.form.waitFor()
    expect(await workspace.inbox.count()).toBe(0)

    const nowhere = `http://127.0.0.1:${await closedPort()}`
    await signIn.signIn({ serverUrl: nowhere, email: 'rosa@example.test', password: PASSWORD })
    await expect.poll(() => signIn.error.innerText()).toBe(`Cannot reach ${nowhere}: connection refused. Check the address and your network.`)

    // Some other web server: the browser host itself answers, but not as a sync server.
    await signIn.signIn({ serverUrl: env.host.origin, password: PASSWORD })
    await expect.poll(() => signIn.error.innerText()).toBe(`${env.host.origin} answered, but it is not a Threadline server (HTTP 404).`)

    await signIn.signIn({ serverUrl: env.server.url, password: 'not my password' })
    await expect.poll(() => signIn.error.innerText()).toBe('Wrong email or password.')
    await expect.poll(() => signIn.password.inputValue()).toBe('not my password')

    await signIn.signIn({ password: PASSWORD })
    await workspace.inbox.waitFor()
    await workspace.inbox.getByRole('option').filter({ hasText: 'Omar Haddad' }).waitFor()
    await env.page.getByRole('button', { name: 'Account: Rosa Diaz' }).waitFor()
    const stored = sessionFile()
    expect(stored.mode).toBe(0o600)
    const me = await fetch(`${env.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${stored.token}` } })
    expect(me.status).toBe(200)

    await signIn.signOutFromAccountMenu('Rosa Diaz')
    await signIn.form.waitFor()
    expect(await workspace.inbox.count()).toBe(0)
    // The address and email stay filled in for the next sign-in; the password does not.
    expect(await signIn.serverUrl.inputValue()).toBe(env.server.url)
    expect(await signIn.email.inputValue()).toBe('rosa@example.test')
    expect(await signIn.password.inputValue()).toBe('')
    // The token was revoked on the server, not only forgotten here.
    expect(sessionFile().token).toBeUndefined()
    const after = await fetch(`${env.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${stored.token}` } })
    expect(after.status).toBe(401)
  })
})
