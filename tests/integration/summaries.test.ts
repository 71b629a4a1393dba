import { afterEach, describe, expect, it } from 'vitest'
import type { Summary, User } from '../../src/shared/domain'
import type { InboundMessage } from '../../src/shared/ingest'
import { summaryId } from '../../src/shared/summaries'
import type { PullResponse } from '../../src/shared/sync'
import { completion, itemIdsOf, startFakeModel, type FakeModel } from '../support/chat-completions'
import { api, connectClient, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'

/** The server's summaries through its real paths: ingest, the change log and the sync socket, REST, and a model on loopback. */

let t: TestServer | null = null
let model: FakeModel | null = null
afterEach(async () => {
  await t?.cleanup()
  t = null
  await model?.close()
  model = null
})

const QUICK = { summaryDebounceMs: 150, summaryMaxWaitMs: 5_000 }

const email = (n: number, text: string, inbox = 'support', extra: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: 'email',
  inbox,
  externalId: `<m${n}-${inbox}@mail.test>`,
  from: { kind: 'email', address: 'rosa.diaz@example.com', name: 'Rosa Diaz' },
  subject: inbox === 'support' ? 'Order 88213 never arrived' : 'Invoice INV-2291 charged twice',
  text,
  ...extra,
})

async function summariesOf(token: string, customerId: string): Promise<Summary[]> {
  const res = await api(t!.server.url, 'GET', `/api/v1/customers/${customerId}/summaries`, { token })
  expect(res.status).toBe(200)
  return res.body.items as Summary[]
}

const storyOf = async (token: string, customerId: string): Promise<Summary | undefined> =>
  (await summariesOf(token, customerId)).find((s) => s.kind === 'customer_story')

/** Every change the token's user may pull, from the start. */
async function pullAll(token: string): Promise<PullResponse['changes']> {
  const { socket } = await connectClient(t!.server.url, token)
  try {
    const changes: PullResponse['changes'] = []
    let after = 0
    for (;;) {
      const page = (await socket.emitWithAck('pull', { after, limit: 1000 })) as PullResponse
      changes.push(...page.changes)
      after = page.cursor
      if (!page.hasMore) return changes
    }
  } finally {
    socket.close()
  }
}

describe('summaries on the server', () => {
  it('writes one story for a burst of messages, every fact citing them, and only readers of every inbox it read receive it', async () => {
    t = await startTestServer(QUICK)
    const lead = await userWithToken(t.server, 'Lead')
    const scoped = await userWithToken(t.server, 'Sam', { inboxes: ['support'] })
    const first = await t.server.ingest(email(1, 'Hi, my order 88213 never arrived. Can you tell me where it is?'))
    const burst = [
      await t.server.ingest(email(2, 'I paid $129.99 for it on March 3 and still nothing.')),
      await t.server.ingest(email(3, 'Please refund me if it is lost.')),
      await t.server.ingest(email(4, 'Also my invoice INV-2291 was charged twice!', 'billing')),
    ]
    const customerId = first.customerId
    const story = await eventually(() => storyOf(lead.token, customerId), 'the customer story')
    const ids = new Set([first, ...burst].map((r) => r.itemId))
    expect(story.itemCount).toBe(4)
    expect(story.coversItemId).toBe(burst.at(-1)!.itemId)
    expect(story.inboxes).toEqual(['billing', 'support'])
    expect(story.provider).toBe('embedded')
    expect(story.facts.length).toBeGreaterThan(0)
    for (const fact of story.facts) for (const id of fact.sourceIds) expect(ids.has(id)).toBe(true)
    expect(story.facts.map((f) => f.value)).toEqual(expect.arrayContaining(['88213', '$129.99']))

    // Debounced: the burst made one version, not one per message.
    await new Promise((r) => setTimeout(r, 400))
    const storyChanges = (await pullAll(lead.token)).filter((c) => c.entity === 'summary' && c.id === summaryId('customer_story', customerId))
    expect(storyChanges).toHaveLength(1)

    // Sam sees the support conversation, not billing: the story (which read billing) never reaches him.
    expect((await pullAll(scoped.token)).filter((c) => c.entity === 'summary')).toEqual([])
    expect(await storyOf(scoped.token, customerId)).toBeUndefined()
  })

  it('updates the story from its previous version when a new message comes, keeping what it said', async () => {
    t = await startTestServer(QUICK)
    const { token } = await userWithToken(t.server, 'Lead')
    const first = await t.server.ingest(email(1, 'My order 55120 arrived broken. I would like a replacement.'))
    const before = await eventually(() => storyOf(token, first.customerId), 'the first story')
    const later = await t.server.ingest(email(2, 'Tracking number TRK-99812 shows it was returned to you on 12 October.'))
    const after = await eventually(
      async () => ((await storyOf(token, first.customerId))?.coversItemId === later.itemId ? storyOf(token, first.customerId) : null),
      'the updated story',
    )
    expect(after.itemCount).toBe(2)
    expect(after.generatedAt).toBeGreaterThanOrEqual(before.generatedAt)
    const values = after.facts.map((f) => f.value)
    expect(values).toEqual(expect.arrayContaining(['55120', 'TRK-99812']))
    expect(after.facts.find((f) => f.value === 'TRK-99812')?.sourceIds).toEqual([later.itemId])
  })

  it('writes a wrap-up when a conversation is resolved and a call summary when a logged call has notes', async () => {
    t = await startTestServer(QUICK)
    const { user, token } = await userWithToken(t.server, 'Lead')
    const first = await t.server.ingest(email(1, 'The charger for order 77001 does not work. I want a new one.'))
    await t.server.applyMutation(user, {
      name: 'reply',
      args: { messageId: 'reply-1', conversationId: first.conversationId, text: 'Sorry about that! We will send a new charger by Friday.' },
    })
    const resolved = await t.server.applyMutation(user, { name: 'setStatus', args: { conversationId: first.conversationId, status: 'resolved' } })
    expect(resolved.outcome).toBe('applied')
    const wrapUp = await eventually(
      async () => (await summariesOf(token, first.customerId)).find((s) => s.kind === 'wrap_up'),
      'the wrap-up',
    )
    expect(wrapUp.id).toBe(summaryId('wrap_up', first.conversationId))
    expect(wrapUp.conversationId).toBe(first.conversationId)
    expect(wrapUp.facts.some((f) => f.kind === 'promise' && f.sourceIds.includes('reply-1'))).toBe(true)

    const logged = await t.server.applyMutation(user, {
      name: 'logCall',
      args: {
        callId: 'call-1',
        conversationId: first.conversationId,
        customerId: first.customerId,
        direction: 'outbound',
        outcome: 'answered',
        durationSeconds: 240,
        notes: 'Customer confirmed the address. I promised the charger ships tomorrow with tracking TRK-1200.',
      },
    })
    expect(logged.outcome).toBe('applied')
    const callSummary = await eventually(
      async () => (await summariesOf(token, first.customerId)).find((s) => s.kind === 'call'),
      'the call summary',
    )
    expect(callSummary).toMatchObject({ id: summaryId('call', 'call-1'), callId: 'call-1', conversationId: first.conversationId })
    expect(callSummary.facts.some((f) => f.value === 'TRK-1200' && f.sourceIds.includes('call-1'))).toBe(true)
  })

  it('lets an agent ask for the story afresh at most once per 30 seconds, and keeps their ratings', async () => {
    t = await startTestServer({ ...QUICK, summaryDebounceMs: 60_000, summaryMaxWaitMs: 600_000 })
    const { user, token } = await userWithToken(t.server, 'Lead')
    const first = await t.server.ingest(email(1, 'Please cancel my subscription 4471 before the next renewal.'))
    // The debounce is a minute: only an agent's request writes the story now.
    expect((await api(t.server.url, 'POST', `/api/v1/customers/${first.customerId}/summaries/regenerate`, { token })).status).toBe(202)
    const story = await eventually(() => storyOf(token, first.customerId), 'the requested story')

    const again = await api(t.server.url, 'POST', `/api/v1/customers/${first.customerId}/summaries/regenerate`, { token })
    expect(again.status).toBe(429)
    expect(again.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(again.body.error.message).toMatch(/written afresh in \d+ s/)
    // Through the sync path (the mutation a client queues), after the cooldown the request is taken.
    const later = await t.server.applyMutation(user, { name: 'regenerateSummary', args: { customerId: first.customerId } }, undefined, {
      at: story.generatedAt + 31_000,
    })
    expect(later.outcome).toBe('applied')
    await eventually(async () => ((await storyOf(token, first.customerId))!.generatedAt > story.generatedAt ? true : null), 'the story written afresh')

    const current = (await storyOf(token, first.customerId))!
    const rate = (generatedAt: number) =>
      api(t!.server.url, 'POST', `/api/v1/summaries/${encodeURIComponent(current.id)}/feedback`, { token, body: { generatedAt, rating: 'down' } })
    expect((await rate(current.generatedAt)).status).toBe(204)
    const stale = await rate(story.generatedAt)
    expect(stale.status).toBe(400)
    expect(stale.body.error.message).toMatch(/rewritten since you read it/)
    expect((await api(t.server.url, 'POST', '/api/v1/summaries/story%3Anobody/feedback', { token, body: { generatedAt: 1, rating: 'up' } })).status).toBe(404)
  })

  it('writes after a restart what was still waiting for quiet when the server stopped', async () => {
    t = await startTestServer({ summaryDebounceMs: 600_000, summaryMaxWaitMs: 600_000 })
    const { token } = await userWithToken(t.server, 'Lead')
    const first = await t.server.ingest(email(1, 'My order 30418 was delivered to the wrong house.'))
    // Several ticks read the change and hold it, waiting for a quiet that never comes before the stop.
    await new Promise((r) => setTimeout(r, 1_500))
    expect(await storyOf(token, first.customerId)).toBeUndefined()
    await t.server.close()
    const { startServer } = await import('../../src/server/server')
    const again = await startServer({ dbPath: t.dbPath, logLevel: 'silent', ...QUICK })
    try {
      const res = await api(again.url, 'GET', `/api/v1/customers/${first.customerId}/summaries`, { token })
      const story = await eventually(async () => {
        const items = (await api(again.url, 'GET', `/api/v1/customers/${first.customerId}/summaries`, { token })).body.items as Summary[]
        return items.find((s) => s.kind === 'customer_story')
      }, 'the story written after the restart')
      expect(res.status).toBe(200)
      expect(story.coversItemId).toBe(first.itemId)
    } finally {
      await again.close()
    }
  })

  it('shows the model usage to supervisors only', async () => {
    t = await startTestServer(QUICK)
    const agent = await userWithToken(t.server, 'Agent')
    const supervisor = await userWithToken(t.server, 'Sue', { role: 'supervisor' })
    const refused = await api(t.server.url, 'GET', '/api/v1/summaries/usage', { token: agent.token })
    expect(refused.status).toBe(403)
    const usage = await api(t.server.url, 'GET', '/api/v1/summaries/usage?day=2026-12-01', { token: supervisor.token })
    expect(usage.status).toBe(200)
    expect(usage.body).toEqual({ day: '2026-12-01', requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 })
    expect((await api(t.server.url, 'GET', '/api/v1/summaries/usage?day=yesterday', { token: supervisor.token })).status).toBe(400)
  })
})

describe('summaries written by a configured model', () => {
  it('stores what the model wrote, redacted on the way out, and counts its use; an inbox kept from models is summarized on the server', async () => {
    const endpoint = await startFakeModel((body) =>
      completion(
        { story: 'Asks about order 88213, which has not arrived.', facts: [{ kind: 'identifier', text: 'Order 88213', value: '88213', sourceIds: [itemIdsOf(body)[0]] }] },
        { prompt_tokens: 120, completion_tokens: 30 },
      ),
    )
    model = endpoint
    t = await startTestServer({
      ...QUICK,
      summaryModelUrl: endpoint.url,
      summaryModel: 'loopback-7b',
      inboxes: [{ name: 'legal', channel: 'email', connector: { type: 'sandbox' }, neverSendToModel: true }],
    })
    const supervisor = await userWithToken(t.server, 'Sue', { role: 'supervisor' })
    const sent = await t.server.ingest(email(1, 'Order 88213 has not arrived. Call me on +44 7700 900123 or write to rosa.diaz@example.com.'))
    const story = await eventually(() => storyOf(supervisor.token, sent.customerId), 'the model story')
    expect(story).toMatchObject({ provider: 'model', model: 'loopback-7b', fallbackReason: null, text: 'Asks about order 88213, which has not arrived.' })
    expect(story.facts).toEqual([{ kind: 'identifier', text: 'Order 88213', value: '88213', sourceIds: [sent.itemId] }])
    expect(JSON.stringify(endpoint.bodies)).not.toMatch(/7700 900123|rosa\.diaz@example\.com/)
    const usage = await api(t.server.url, 'GET', '/api/v1/summaries/usage', { token: supervisor.token })
    expect(usage.body).toMatchObject({ requests: 1, promptTokens: 120, completionTokens: 30, failures: 0 })

    const kept = await t.server.ingest({ ...email(2, 'Privileged: settlement offer 4,500 EUR for case 77-A.', 'legal'), from: { kind: 'email', address: 'counsel@example.org' } })
    const local = await eventually(() => storyOf(supervisor.token, kept.customerId), 'the story of the legal inbox')
    expect(local).toMatchObject({ provider: 'embedded', fallbackReason: 'inbox legal is not sent to a model' })
    expect(JSON.stringify(endpoint.bodies)).not.toContain('settlement')
  })

  it('writes a story asked for afresh from the whole history, not from the previous story', async () => {
    const endpoint = await startFakeModel((body) => completion({ story: `Read items ${itemIdsOf(body).join(', ') || 'none'}.`, facts: [] }))
    model = endpoint
    t = await startTestServer({ ...QUICK, summaryModelUrl: endpoint.url, summaryModel: 'loopback-7b' })
    const { user, token } = await userWithToken(t.server, 'Lead')
    const first = await t.server.ingest(email(1, 'Order 88213 never arrived.'))
    await eventually(() => storyOf(token, first.customerId), 'the first story')
    const second = await t.server.ingest(email(2, 'Please refund me instead.'))
    const updated = await eventually(
      async () => ((await storyOf(token, first.customerId))?.coversItemId === second.itemId ? storyOf(token, first.customerId) : null),
      'the updated story',
    )
    // The automatic update read the previous story and the one new message.
    expect(endpoint.bodies).toHaveLength(2)
    expect(itemIdsOf(endpoint.bodies[1]!)).toEqual([second.itemId])
    expect(JSON.stringify(endpoint.bodies[1]!.messages)).toContain('Previous story')

    const asked = await t.server.applyMutation(user, { name: 'regenerateSummary', args: { customerId: first.customerId } }, undefined, {
      at: updated.generatedAt + 31_000,
    })
    expect(asked.outcome).toBe('applied')
    const rewritten = await eventually(
      async () => ((await storyOf(token, first.customerId))!.generatedAt > updated.generatedAt ? storyOf(token, first.customerId) : null),
      'the story written afresh',
    )
    expect(endpoint.bodies).toHaveLength(3)
    const afresh = endpoint.bodies[2]!
    expect(itemIdsOf(afresh)).toEqual([first.itemId, second.itemId])
    expect(JSON.stringify(afresh.messages)).not.toContain('Previous story')
    expect(rewritten).toMatchObject({ provider: 'model', itemCount: 2, text: `Read items ${first.itemId}, ${second.itemId}.` })
  })
})

export type { User }
