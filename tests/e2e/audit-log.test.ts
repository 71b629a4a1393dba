import fs from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IngestResult } from '../../src/shared/ingest'
import { AdminPage } from './pages/admin-page'
import { AuditLogPage } from './pages/audit-log-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** An admin opens a customer's timeline, then finds that view in the audit log, filters for it and exports it as CSV. */

let env: E2eEnvironment
let rosa: IngestResult
let downloads: string

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const admin = await server.createUser({ name: 'Ada Admin', email: 'ada@example.test', role: 'admin' })
      rosa = await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<audit-e2e-1@mail.example.test>',
        from: { kind: 'email', address: 'rosa@example.test', name: 'Rosa Diaz' },
        subject: 'My order',
        text: 'Where is order 55120?',
      })
      return admin
    },
  })
  downloads = join(env.dir, 'Downloads')
  // The core runs in this process (the browser host): it saves where the desktop app would be told to.
  process.env.THREADLINE_DOWNLOADS_DIR = downloads
}, 240_000)

afterAll(async () => {
  delete process.env.THREADLINE_DOWNLOADS_DIR
  await env?.close()
})

describe('the audit log tab', () => {
  it('shows an admin the timeline they opened, filters the log and exports it', async () => {
    const workspace = new WorkspacePage(env.page)
    const admin = new AdminPage(env.page)
    const audit = new AuditLogPage(env.page)
    await workspace.open(env.host.url)
    await workspace.openCustomer('Rosa Diaz')
    // The app reports the view through its outbox; it reaches the server once pushed.
    await expect
      .poll(async () => {
        const res = await fetch(`${env.server.url}/api/v1/audit?action=timeline.opened`, { headers: { authorization: `Bearer ${env.agent.token}` } })
        return ((await res.json()) as { items: unknown[] }).items.length
      })
      .toBe(1)

    const menu = admin.menuItem('Ada Admin')
    await menu.open()
    await menu.item.click()
    await audit.open()
    const view = audit.rows('timeline.opened')
    await expect.poll(() => view.count()).toBe(1)
    expect(await view.innerText()).toMatch(new RegExp(`Ada Admin\\s+Opened a timeline\\s+customer ${rosa.customerId}\\s+App`))

    await audit.filterAction('Opened a timeline')
    await expect.poll(() => audit.entries.locator('tbody tr').count()).toBe(1)

    const said = await audit.exportCsv()
    const [file] = fs.readdirSync(downloads)
    expect(file).toMatch(/^threadline-audit-log-\d{4}-\d{2}-\d{2}\.csv$/)
    expect(said).toBe(`Saved ${file} to ${downloads}`)
    const lines = fs.readFileSync(join(downloads, file!), 'utf8').trimEnd().split('\r\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain(`,Ada Admin,timeline.opened,customer,${rosa.customerId},app,`)
    // The export is in the log too, once the tab reads it again.
    await audit.filterAction('Exported the audit log')
    await expect.poll(() => audit.rows('audit.exported').count()).toBe(1)
  })
})
