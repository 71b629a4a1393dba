import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * Service levels in the inbox, in a real browser against a real sync server: each row shows its
 * conversation's SLA (time left, or how long ago it was breached), and "Due soonest" lists the
 * breached first, then the one due soonest.
 */

const MINUTE = 60_000
let env: E2eEnvironment
let workspace: WorkspacePage

const rowNames = () => workspace.inbox.getByRole('option').locator('.customer-name').allInnerTexts()
const badge = (name: string) => workspace.inboxRow(name).getByTestId('row-sla')

beforeAll(async () => {
  env = await startEnvironment({
    server: {
      // One hour to answer, a day to resolve, around the clock (the inbox has no business hours).
      slaPolicies: [{ name: 'Standard', firstResponseMinutes: 60, resolutionMinutes: 24 * 60 }],
      slaCheckMs: 200,
    },
    seed: async (server) => {
      const agent = await server.createUser({ name: 'Alex Morgan', email: 'alex@example.test', role: 'agent', team: 'Support' })
      const now = Date.now()
      // Written this many minutes ago: Ada waits 10, Ben 2 hours (breached an hour ago), Cleo 30, Dev 5 and is answered.
      const written: [string, number][] = [['Ada Quinn', 10], ['Ben Ruiz', 120], ['Cleo Park', 30], ['Dev Shah', 5]]
      for (const [i, [name, ago]] of written.entries()) {
        const { conversationId } = await server.ingest({
          channel: 'email',
          inbox: 'support@example.test',
          externalId: `<sla-${i}@mail.example.test>`,
          from: { kind: 'email', address: `${name.split(' ')[0]!.toLowerCase()}@customers.test`, name },
          subject: `Question ${i + 1}`,
          text: `Hello, this is ${name} with a question.`,
          sentAt: now - ago * MINUTE,
        })
        if (name === 'Dev Shah') {
          const reply = { name: 'reply', args: { messageId: 'sla-reply', conversationId, text: 'Looking into it now.' } } as const
          await server.applyMutation(agent, reply)
        }
      }
      return agent
    },
  })
  workspace = new WorkspacePage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Ben Ruiz').first().waitFor({ timeout: 30_000 })
})

afterAll(async () => {
  await env?.close()
})

describe('SLA in the inbox', () => {
  it('shows the time left on each row, and how long ago a breached target passed', async () => {
    await expect.poll(() => badge('Ada Quinn').innerText()).toMatch(/^due in (49|50) min$/)
    await expect.poll(() => badge('Cleo Park').innerText()).toMatch(/^due in (29|30) min$/)
    await expect.poll(() => badge('Ben Ruiz').innerText()).toBe('breached 1 h ago')
    expect(await badge('Ben Ruiz').getAttribute('class')).toContain('sla-breached')
    expect(await badge('Cleo Park').getAttribute('class')).toContain('sla-soon')
    // Answered: what is left is the day to resolve it.
    await expect.poll(() => badge('Dev Shah').innerText()).toBe('due in 23 h')
    expect(await badge('Ada Quinn').getAttribute('title')).toMatch(/^SLA first response due in/)
  })

  it('lists the breached first, then the conversation due soonest', async () => {
    expect(await rowNames()).toEqual(['Dev Shah', 'Ada Quinn', 'Cleo Park', 'Ben Ruiz'])
    await env.page.getByLabel('Sort conversations').selectOption({ label: 'Due soonest' })
    await expect.poll(rowNames).toEqual(['Ben Ruiz', 'Cleo Park', 'Ada Quinn', 'Dev Shah'])
  })
})
