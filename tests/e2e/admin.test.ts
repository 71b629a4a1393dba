import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminPage } from './pages/admin-page'
import { SignInPage } from './pages/sign-in-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * An admin changes an agent's inbox access and revokes one of the agent's tokens from the
 * administration screen; the agent, signed in afterwards, finds no such screen.
 */

const PASSWORD = 'lamp-shade-4411'
let env: E2eEnvironment
let rosaId: string

beforeAll(async () => {
  env = await startEnvironment({
    signedOut: true,
    server: {
      inboxes: [
        { name: 'SMS', channel: 'sms', connector: { type: 'sandbox' } },
        { name: 'Support email', channel: 'email', connector: { type: 'sandbox' } },
      ],
    },
    async seed(server) {
      const admin = await server.createUser({ name: 'Ada Admin', email: 'ada@example.test', role: 'admin' })
      await server.setPassword(admin.id, PASSWORD)
      const rosa = await server.createUser({ name: 'Rosa Diaz', email: 'rosa@example.test', role: 'agent', team: 'Support', inboxes: ['SMS'] })
      await server.setPassword(rosa.id, PASSWORD)
      rosaId = rosa.id
      return admin
    },
  })
}, 180_000)

afterAll(async () => {
  await env?.close()
})

describe('administration', () => {
  it('is not in the code every agent loads at start, and neither is the schema library', () => {
    // Every agent waits for the first chunk; only admins, rarely, open this screen.
    const html = readFileSync(join(env.dir, 'out/renderer/index.html'), 'utf8')
    const entry = /<script type="module"[^>]*src="\.\/([^"]+)"/.exec(html)?.[1]
    if (!entry) throw new Error(`no entry script in:\n${html}`)
    const code = readFileSync(join(env.dir, 'out/renderer', entry), 'utf8')
    expect(code).not.toContain('New user')
    expect(code).not.toContain('ZodError')
  })

  it("lets an admin change an agent's inbox access and revoke their token, and shows no such screen to the agent", async () => {
    const signIn = new SignInPage(env.page)
    const workspace = new WorkspacePage(env.page)
    const admin = new AdminPage(env.page)
    const laptop = await env.server.createToken(rosaId, 'Rosa laptop')
    await env.page.goto(env.host.url)
    await signIn.signIn({ serverUrl: env.server.url, email: 'ada@example.test', password: PASSWORD })
    await workspace.inbox.waitFor()

    const menu = admin.menuItem('Ada Admin')
    await menu.open()
    await menu.item.click()
    await admin.row('rosa@example.test').waitFor()
    expect(await admin.row('rosa@example.test').innerText()).toMatch(/Rosa Diaz\s+rosa@example.test\s+agent\s+Support\s+SMS\s+Active/)

    await admin.setInboxes('Rosa Diaz', { 'Support email': true })
    await expect.poll(() => admin.row('rosa@example.test').innerText()).toMatch(/SMS, Support email/)
    expect((await env.server.findUserByEmail('rosa@example.test'))?.inboxes).toEqual(['SMS', 'Support email'])

    await admin.screen.getByRole('button', { name: 'Tokens of Rosa Diaz' }).click()
    const tokens = admin.tokens('Rosa Diaz')
    await tokens.getByRole('button', { name: 'Revoke Rosa laptop token' }).click()
    await tokens.getByText('Rosa Diaz has no tokens').waitFor()
    const me = await fetch(`${env.server.url}/api/v1/me`, { headers: { authorization: `Bearer ${laptop}` } })
    expect(me.status).toBe(401)
    await tokens.getByRole('button', { name: 'Close' }).click()

    // The last admin cannot demote themselves: the screen says why.
    await admin.screen.getByRole('button', { name: 'Deactivate Ada Admin' }).click()
    await expect.poll(() => admin.screen.getByRole('alert').innerText()).toBe('Ada Admin is the last active admin: make another user an admin before demoting or deactivating them.')

    await signIn.signOutFromAccountMenu('Ada Admin')
    await signIn.signIn({ email: 'rosa@example.test', password: PASSWORD })
    await workspace.inbox.waitFor()
    const rosaMenu = admin.menuItem('Rosa Diaz')
    await rosaMenu.open()
    await env.page.getByRole('menuitem', { name: 'Sign out' }).waitFor()
    expect(await rosaMenu.item.count()).toBe(0)
    await env.page.keyboard.press('Escape')
    await workspace.openPalette()
    await env.page.keyboard.type('Administration')
    expect(await env.page.getByRole('dialog', { name: 'Command palette' }).getByText('Administration: users').count()).toBe(0)
    await env.page.keyboard.press('Escape')
  })

  it('lets an admin set a retention rule, preview a run, and see it in the log', async () => {
    const signIn = new SignInPage(env.page)
    const workspace = new WorkspacePage(env.page)
    const admin = new AdminPage(env.page)
    await signIn.signOutFromAccountMenu('Rosa Diaz')
    await signIn.signIn({ email: 'ada@example.test', password: PASSWORD })
    await workspace.inbox.waitFor()
    const menu = admin.menuItem('Ada Admin')
    await menu.open()
    await menu.item.click()
    await admin.openTab('Retention')
    const section = admin.screen.getByRole('region', { name: 'Retention' })
    await section.getByRole('button', { name: 'Add rule' }).click()
    await admin.setRetentionRule(1, { inbox: 'SMS', channel: 'SMS', days: 30 })
    await section.getByRole('checkbox', { name: /Erase customers with no conversation left/ }).check()
    await section.getByRole('button', { name: 'Save rules' }).click()
    await section.getByText('Saved: the rules apply from the next daily run.').waitFor()
    const saved = await fetch(`${env.server.url}/api/v1/retention`, { headers: { authorization: `Bearer ${env.agent.token}` } })
    expect(((await saved.json()) as { settings: unknown }).settings).toEqual({
      rules: [{ inbox: 'SMS', channel: 'sms', deleteAfterDays: 30 }],
      customersWithoutConversationsDays: 30,
    })

    await section.getByRole('button', { name: 'Preview a run' }).click()
    await expect.poll(() => section.getByTestId('retention-preview').innerText()).toBe('Would delete 0 conversations and 0 customers (with the saved rules)')
    const runs = section.getByRole('table', { name: 'Retention runs' }).getByRole('row')
    await expect.poll(() => runs.nth(1).innerText()).toMatch(/Preview\s+Would delete 0 conversations and 0 customers/)
  })
})
