import fs from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExportManifest } from '../../src/shared/customer-export'
import type { IngestResult } from '../../src/shared/ingest'
import { jsonLines, unzip } from '../support/unzip'
import { CustomerPanelPage } from './pages/customer-panel-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** A supervisor exports a customer from the panel: the server's archive lands in the Downloads folder, and the panel says where. */

const HOUR = 3_600_000
let env: E2eEnvironment
let workspace: WorkspacePage
let panel: CustomerPanelPage
let rosa: IngestResult
let downloads: string

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const supervisor = await server.createUser({ name: 'Priya Shah', email: 'priya@example.test', role: 'supervisor', team: 'Support' })
      const now = Date.now()
      rosa = await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<parcel-1@mail.example.test>',
        from: { kind: 'email', address: 'rosa@example.test', name: 'Rosa Diaz' },
        subject: 'Parcel 88213 never arrived',
        text: 'My parcel 88213 never arrived. Please send me everything you hold about me.',
        sentAt: now - 3 * HOUR,
      })
      await server.ingest({
        channel: 'email',
        inbox: 'support@example.test',
        externalId: '<parcel-2@mail.example.test>',
        from: { kind: 'email', address: 'rosa@example.test', name: 'Rosa Diaz' },
        subject: 'Re: Parcel 88213 never arrived',
        text: 'Any news on the parcel?',
        sentAt: now - 2 * HOUR,
      })
      return supervisor
    },
  })
  downloads = join(env.dir, 'Downloads')
  // The core runs in this process (the browser host): it saves where the desktop app would be told to.
  process.env.THREADLINE_DOWNLOADS_DIR = downloads
  workspace = new WorkspacePage(env.page)
  panel = new CustomerPanelPage(env.page)
  await workspace.open(env.host.url)
}, 240_000)

afterAll(async () => {
  delete process.env.THREADLINE_DOWNLOADS_DIR
  await env?.close()
})

describe('exporting a customer from the panel', () => {
  it('saves the whole archive in the Downloads folder and shows where', async () => {
    await workspace.openCustomer('Rosa Diaz')
    await panel.exportSection().waitFor()
    const said = await panel.exportData()
    const [file] = fs.readdirSync(downloads)
    expect(file).toMatch(new RegExp(`^threadline-customer-${rosa.customerId}-\\d{4}-\\d{2}-\\d{2}\\.zip$`))
    expect(said).toMatch(/Saved \(\d+ KB\)/)
    expect(said).toContain(join(downloads, file!))

    const entries = await unzip(fs.readFileSync(join(downloads, file!)))
    const manifest = ExportManifest.parse(JSON.parse(entries.get('manifest.json')!.toString('utf8')))
    expect(manifest).toMatchObject({ customerId: rosa.customerId, exportedBy: `user:${env.agent.id}`, counts: { messages: 2, conversations: 1, identities: 1 } })
    expect((jsonLines(entries.get('messages.jsonl')) as { text: string }[]).map((m) => m.text)).toEqual([
      'My parcel 88213 never arrived. Please send me everything you hold about me.',
      'Any news on the parcel?',
    ])

    // A second export never overwrites the first.
    expect(await panel.exportData()).toContain('(2).zip')
    expect(fs.readdirSync(downloads)).toHaveLength(2)
  })
})
