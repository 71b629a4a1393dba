import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CustomerPanelPage } from './pages/customer-panel-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** A supervisor erases a customer from the customer panel: the one change the server sends takes them off the inbox at once. */

let env: E2eEnvironment
let workspace: WorkspacePage
let panel: CustomerPanelPage

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const supervisor = await server.createUser({ name: 'Sam Supervisor', email: 'sam@example.test', role: 'supervisor' })
      const now = Date.now()
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<forget-me@mail.example.test>',
        from: { kind: 'email', address: 'erin@example.test', name: 'Erin Erasable' },
        subject: 'Please delete my data',
        text: 'I would like you to erase everything you hold about me.',
        sentAt: now - 60_000,
      })
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<stay@mail.example.test>',
        from: { kind: 'email', address: 'stan@example.test', name: 'Stan Stays' },
        subject: 'Order question',
        text: 'Where is my order?',
        sentAt: now - 120_000,
      })
      return supervisor
    },
  })
  workspace = new WorkspacePage(env.page)
  panel = new CustomerPanelPage(env.page)
  await workspace.open(env.host.url)
})

afterAll(() => env?.close())

describe('erasing a customer', () => {
  it('names the grace period before erasing, then the customer leaves the inbox list at once', async () => {
    await workspace.openCustomer('Erin Erasable')
    expect(await workspace.inboxRow('Erin Erasable').count()).toBe(1)

    const grace = await panel.eraseCustomer('Erin Erasable')
    expect(grace).toBe('An admin can restore everything for 30 days; then it is purged for good.')

    await workspace.inboxRow('Erin Erasable').waitFor({ state: 'detached' })
    await panel.root.getByRole('status').filter({ hasText: 'This customer is no longer here.' }).waitFor()
    expect(await workspace.inboxRow('Stan Stays').count()).toBe(1)
    await workspace.search('erase everything')
    expect(await workspace.searchHits()).toEqual([])
  })
})
