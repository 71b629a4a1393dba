import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdminPage } from './pages/admin-page'
import { CustomerPanelPage } from './pages/customer-panel-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** An admin erases a customer, finds the erasure pending in Administration, and restores it: the customer comes back to the inbox. */

let env: E2eEnvironment
let workspace: WorkspacePage
let panel: CustomerPanelPage
let admin: AdminPage

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const ada = await server.createUser({ name: 'Ada Admin', email: 'ada@example.test', role: 'admin' })
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<mistake@mail.example.test>',
        from: { kind: 'email', address: 'rita@example.test', name: 'Rita Restored' },
        subject: 'Invoice copy',
        text: 'Could you send me a copy of invoice 881?',
        sentAt: Date.now() - 60_000,
      })
      return ada
    },
  })
  workspace = new WorkspacePage(env.page)
  panel = new CustomerPanelPage(env.page)
  admin = new AdminPage(env.page)
  await workspace.open(env.host.url)
})

afterAll(() => env?.close())

describe('restoring an erased customer', () => {
  it('lists the erasure pending for admins, and Restore brings the customer back to every screen', async () => {
    await workspace.openCustomer('Rita Restored')
    await panel.eraseCustomer('Rita Restored')
    await workspace.inboxRow('Rita Restored').waitFor({ state: 'detached' })

    const menu = admin.menuItem('Ada Admin')
    await menu.open()
    await menu.item.click()
    await admin.openTab('Erasures')
    const pending = admin.screen.getByRole('table', { name: 'Erasures pending' })
    // The list is read from the server when the tab opens: wait for it rather than take the first render.
    await expect.poll(() => pending.getByRole('row').filter({ hasText: 'Rita Restored' }).count()).toBe(1)
    await pending.getByRole('button', { name: 'Restore Rita Restored' }).click()
    await admin.screen.getByText('No customer is waiting to be purged.').waitFor()

    await admin.screen.getByRole('button', { name: 'Back to the inbox' }).click()
    await workspace.inboxRow('Rita Restored').waitFor()
    await workspace.openCustomer('Rita Restored')
    await expect.poll(async () => (await workspace.timelineTexts()).join('\n')).toContain('Could you send me a copy of invoice 881?')
  })
})
