import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCore } from '../../src/core/index'
import type { Message } from '../../src/shared/domain'
import type { InboxInfo } from '../../src/shared/inbox-settings'
import { demoServerConfig } from '../../src/server/demo/inboxes'
import { api, connectClient, integrationWithToken, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { eventually } from './support/eventually'

/** The inboxes `npm start` configures: a provider-less WhatsApp inbox that keeps WhatsApp's template rules. */

let t: TestServer
let token: string

beforeEach(async () => {
  t = await startTestServer(demoServerConfig('https://threadline.example.test'))
  token = (await userWithToken(t.server, 'Alex')).token
})
afterEach(async () => {
  await t.cleanup()
})

async function replyAndSettle(conversationId: string, body: Record<string, unknown>): Promise<Message> {
  const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversationId}/reply`, { token, body })
  expect(res.status).toBe(201)
  return eventually(async () => {
    const list = await api<{ items: Message[] }>(t.server.url, 'GET', `/api/v1/conversations/${conversationId}/messages?limit=50`, { token })
    const m = list.body.items.find((x) => x.id === res.body.id)
    return m && m.deliveryStatus !== 'queued' && m.deliveryStatus !== 'sent' ? m : null
  }, 'the reply to settle')
}

describe('the demo inboxes', () => {
  it('offer approved WhatsApp templates, deliver one, and refuse any other outside the 24-hour window', async () => {
    const { socket } = await connectClient(t.server.url, token)
    const whoami = (await socket.emitWithAck('whoami', {})) as { inboxes: { name: string; templates: { name: string }[] }[] }
    socket.close()
    expect(whoami.inboxes.find((i) => i.name === 'WhatsApp')?.templates.map((x) => x.name)).toEqual(['order_update', 'follow_up', 'appointment_reminder'])

    const inbound = await api(t.server.url, 'POST', '/api/v1/inbound', {
      token: (await integrationWithToken(t.server, ['WhatsApp'])).token,
      body: { channel: 'whatsapp', inbox: 'WhatsApp', externalId: 'wamid.DEMO1', from: { kind: 'whatsapp', address: '+4915112340000', name: 'Lena Vogt' }, text: 'Hallo', sentAt: Date.now() - 30 * 3_600_000 },
    })
    expect(inbound.status).toBe(201)
    const conversationId = inbound.body.conversationId as string

    const refused = await replyAndSettle(conversationId, { text: 'Sale!', template: { name: 'spring_sale', language: 'en_US', parameters: [] } })
    expect(refused).toMatchObject({ deliveryStatus: 'failed', deliveryError: expect.stringMatching(/"spring_sale" \(en_US\) is not approved for inbox "WhatsApp"/) })

    const sent = await replyAndSettle(conversationId, { text: 'Follow-up', template: { name: 'follow_up', language: 'en_US', parameters: ['Lena'] } })
    expect(sent.deliveryStatus).toBe('delivered')
  })

  it('keeps the approved templates in the cache, so the composer has them after starting offline', async () => {
    const dataDir = join(t.dir, 'client')
    const online = await createCore({ dataDir, serverUrl: t.server.url, token })
    const templatesOf = async (core: typeof online) =>
      ((await core.handle('inbox.settings', {})) as InboxInfo[] | null)?.find((i) => i.name === 'WhatsApp')?.templates.map((x) => x.name)
    expect(await templatesOf(online)).toEqual(['order_update', 'follow_up', 'appointment_reminder'])
    await online.close()

    const url = t.server.url
    await t.server.close()
    const offline = await createCore({ dataDir, serverUrl: url, token })
    try {
      expect(await templatesOf(offline)).toEqual(['order_update', 'follow_up', 'appointment_reminder'])
    } finally {
      await offline.close()
    }
  })
})
