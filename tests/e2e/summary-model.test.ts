import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completion, itemIdsOf, startFakeModel, type FakeModel } from '../support/chat-completions'
import { SummaryCardPage } from './pages/summary-card-page'
import { WorkspacePage } from './pages/workspace-page'
import { startEnvironment, type E2eEnvironment } from './support/environment'

/**
 * A supervisor's card when the server is configured with a model: a chat-completions endpoint on
 * loopback writes the story, and when it starts failing the embedded summarizer answers and the
 * card says why, with the model's use of the day beside it.
 */

let mode: 'answer' | 'fail' = 'answer'
let model: FakeModel

let env: E2eEnvironment
let workspace: WorkspacePage
let card: SummaryCardPage

const ines = (n: number, text: string) => ({
  channel: 'sms' as const,
  inbox: '+14155550100',
  externalId: `SM-ines-${n}`,
  from: { kind: 'phone' as const, address: '+34600111222', name: 'Ines Romero' },
  text,
})

beforeAll(async () => {
  model = await startFakeModel((body) =>
    mode === 'fail'
      ? { status: 500, body: { error: { message: 'overloaded' } } }
      : completion(
          {
            story: 'Ines asks where order 55120 is; it has not arrived.',
            facts: [{ kind: 'identifier', text: 'Order 55120', value: '55120', sourceIds: [itemIdsOf(body)[0]] }],
          },
          { prompt_tokens: 200, completion_tokens: 40 },
        ),
  )
  env = await startEnvironment({
    server: {
      summaryDebounceMs: 500,
      summaryMaxWaitMs: 5_000,
      summaryModelUrl: model.url,
      summaryModel: 'loopback-7b',
      summaryModelRetries: 1,
    },
    seed: async (server) => {
      const supervisor = await server.createUser({ name: 'Sue Park', email: 'sue@example.test', role: 'supervisor', team: 'Support' })
      await server.ingest(ines(1, 'Hi, where is my order 55120? It has not arrived.'))
      return supervisor
    },
  })
  workspace = new WorkspacePage(env.page)
  card = new SummaryCardPage(env.page)
  await workspace.open(env.host.url)
  await workspace.inboxRow('Ines Romero').first().waitFor({ timeout: 60_000 })
  await workspace.openCustomer('Ines Romero')
}, 240_000)

afterAll(async () => {
  await env?.close()
  await model?.close()
})

describe('a summary written by a configured model', () => {
  it("names the model that wrote the story and shows supervisors today's use", async () => {
    await card.root.waitFor({ timeout: 15_000 })
    await card.expand()
    await expect.poll(() => card.source.innerText(), { timeout: 30_000 }).toBe('loopback-7b')
    expect(await card.text.innerText()).toBe('Ines asks where order 55120 is; it has not arrived.')
    expect(await card.chipTexts()).toEqual(['55120'])
    await expect.poll(() => card.usage.innerText(), { timeout: 10_000 }).toBe('Model today: 1 request · 240 tokens · 0 failures · 0 fallbacks')
  })

  it('says when the embedded summarizer answered because the model failed', async () => {
    mode = 'fail'
    await env.server.ingest(ines(2, 'Still nothing. The tracking number TRK-44120 has not moved since Monday.'))
    await expect
      .poll(() => card.source.innerText(), { timeout: 30_000 })
      .toBe('Written by the embedded summarizer: model answered 500 twice')
    expect(await card.text.innerText()).toContain('TRK-44120')
    await env.page.reload()
    await workspace.openCustomer('Ines Romero')
    await card.expand()
    // Failed tries count their prompt's tokens too (estimated: the answer had none).
    await expect.poll(() => card.usage.innerText(), { timeout: 10_000 }).toMatch(/^Model today: 3 requests · [\d,]+ tokens · 2 failures · 1 fallback$/)
  })
})
