import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Call } from '../../src/shared/domain'
import { api } from '../integration/server-fixtures'
import { eventually } from '../integration/support/eventually'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/** An agent adds notes to a call from its timeline entry, edits them, and the server keeps them. */

let env: E2eEnvironment
let workspace: WorkspacePage
let customerId = ''

beforeAll(async () => {
  env = await startEnvironment({
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const call = await server.ingest({
        channel: 'voice',
        inbox: '+14155550100',
        externalId: 'CA-call-notes-1',
        from: { kind: 'phone', address: '+46701234567', name: 'Maya Lindqvist' },
        text: '',
        call: { status: 'completed', outcome: 'answered', durationSeconds: 95 },
      })
      customerId = call.customerId
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Maya Lindqvist').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Maya Lindqvist')
}, 240_000)

afterAll(async () => {
  await env?.close()
})

/** The call's notes as the server stores them. */
async function serverNotes(): Promise<string | null> {
  const res = await api(env.server.url, 'GET', `/api/v1/customers/${customerId}/timeline?limit=50`, { token: env.agent.token })
  expect(res.status).toBe(200)
  const entry = (res.body.items as { kind: string; item: Call }[]).find((e) => e.kind === 'call')
  return entry?.item.notes ?? null
}

describe('call notes from the timeline', () => {
  it('adds notes to a call, edits them, and a cancelled edit changes nothing', async () => {
    const call = env.page.locator('li[data-kind="call"]')
    await call.waitFor({ timeout: 10_000 })
    await call.getByRole('button', { name: /^Add notes/ }).click()
    const field = call.getByRole('textbox', { name: 'Notes on this call' })
    await field.fill('Wants a replacement shade; ships Friday.')
    await call.getByRole('button', { name: 'Save' }).click()

    await call.getByTestId('call-notes').filter({ hasText: 'Wants a replacement shade; ships Friday.' }).waitFor({ timeout: 10_000 })
    expect(await field.count()).toBe(0)
    await eventually(async () => (await serverNotes()) === 'Wants a replacement shade; ships Friday.', 'the notes on the server')

    await call.getByRole('button', { name: /^Edit notes/ }).click()
    await expect(field.inputValue()).resolves.toBe('Wants a replacement shade; ships Friday.')
    await field.fill('Replacement shade shipped Friday, tracking sent by SMS.')
    await call.getByRole('button', { name: 'Save' }).click()
    await call.getByTestId('call-notes').filter({ hasText: 'Replacement shade shipped Friday, tracking sent by SMS.' }).waitFor({ timeout: 10_000 })
    await eventually(async () => (await serverNotes()) === 'Replacement shade shipped Friday, tracking sent by SMS.', 'the edited notes on the server')

    await call.getByRole('button', { name: /^Edit notes/ }).click()
    await field.fill('This edit is thrown away')
    await call.getByRole('button', { name: 'Cancel' }).click()
    expect(await field.count()).toBe(0)
    await expect(call.getByTestId('call-notes').innerText()).resolves.toBe('Replacement shade shipped Friday, tracking sent by SMS.')
    expect(await serverNotes()).toBe('Replacement shade shipped Friday, tracking sent by SMS.')
  })
})
