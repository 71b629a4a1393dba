import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** A customer pastes a 20,000-character log: the timeline shows its start, and the rest on demand. */

const LOG_LINE = 'ERROR 2026-12-01T10:00:00Z lamp-controller: dimmer did not respond within 500 ms\n'
const LOG = `Here is the log you asked for:\n${LOG_LINE.repeat(Math.ceil(20_000 / LOG_LINE.length))}`
let env: E2eEnvironment

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      await server.ingest({ channel: 'sms', inbox: 'SMS', externalId: 'SM-log', from: { kind: 'phone', address: '+46701234567', name: 'Maya Lindqvist' }, text: LOG })
      return agent
    },
  })
}, 180_000)

afterAll(async () => {
  await env?.close()
})

describe('a very long message', () => {
  it('opens collapsed with Show more, and shows it whole when asked', async () => {
    const workspace = new WorkspacePage(env.page)
    await workspace.open(env.host.url)
    await workspace.openCustomer('Maya Lindqvist')
    const more = workspace.timeline.getByRole('button', { name: /^Show more \([\d,]+ more characters\)$/ })
    await more.waitFor()
    const collapsed = (await workspace.timelineTexts()).join('\n')
    expect(collapsed).toContain('Here is the log you asked for:')
    expect(collapsed.length).toBeLessThan(5_000)
    await more.click()
    await expect.poll(async () => (await workspace.timelineTexts()).join('\n').length).toBeGreaterThan(LOG.length - 100)
  })
})
