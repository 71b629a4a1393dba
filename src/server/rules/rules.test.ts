import { systemActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Message } from '../../shared/domain'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { ChangeFeed } from '../sync/commit'
import { ingestInbound, prepareWithoutHtml } from '../ingest/ingest'
import { MessagingRules, type MessagingRulesInput } from './config'
import { consentRefusal } from './consent'
import { inQuietHours } from './quiet-hours'
import { sendRefusal } from './send-policy'

const TEST_ACTOR = systemActor('test')

describe('consent', () => {
  const none = { promotionalRequiresOptIn: false }
  it('an opt-out of promotional applies on every channel; a channel opt-out stops everything on it', () => {
    const afterStop = { consent: { promotional: false, sms: false } }
    expect(consentRefusal(afterStop, 'email', 'promotional', none)).toMatch(/opted out of promotional/)
    expect(consentRefusal(afterStop, 'email', 'transactional', none)).toBeNull()
    expect(consentRefusal(afterStop, 'sms', 'transactional', none)).toMatch(/opted out of sms/)
    expect(consentRefusal({ consent: {} }, 'sms', 'promotional', none)).toBeNull()
    expect(consentRefusal({ consent: {} }, 'sms', 'promotional', { promotionalRequiresOptIn: true })).toMatch(/not opted in/)
  })
})

describe('quiet hours', () => {
  const at = (iso: string) => Date.parse(iso)
  it('runs past midnight in the given time zone', () => {
    const q = { start: '21:00', end: '08:00' }
    expect(inQuietHours(at('2025-01-15T20:30:00Z'), q, 'UTC')).toBe(false)
    expect(inQuietHours(at('2025-01-15T21:00:00Z'), q, 'UTC')).toBe(true)
    expect(inQuietHours(at('2025-01-16T07:59:00Z'), q, 'UTC')).toBe(true)
    expect(inQuietHours(at('2025-01-16T08:00:00Z'), q, 'UTC')).toBe(false)
    // 20:30 UTC is 21:30 in Berlin (winter).
    expect(inQuietHours(at('2025-01-15T20:30:00Z'), q, 'Europe/Berlin')).toBe(true)
    expect(inQuietHours(at('2025-01-15T12:30:00Z'), { start: '12:00', end: '13:00' }, 'UTC')).toBe(true)
  })
})

describe('sendRefusal', () => {
  let dir: string
  let store: Store
  let feed: ChangeFeed
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-rules-'))
    store = openSqliteStore(path.join(dir, 'server.sqlite'))
    feed = new ChangeFeed(store)
  })
  afterEach(async () => {
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  async function setup(attributes: Record<string, string> = {}) {
    const r = await ingestInbound(
      prepareWithoutHtml({ channel: 'email', inbox: 'support', externalId: '<a@x>', from: { kind: 'email', address: 'kim@example.com' }, text: 'hi' }),
      { commit: feed.as(TEST_ACTOR), actor: TEST_ACTOR, defaultCountry: 'US' },
    )
    await feed.as(TEST_ACTOR)(async (w) => w.put('customer', { ...(await w.getCustomer(r.customerId))!, attributes }))
    let n = 0
    const outbound = async (purpose: 'promotional' | 'transactional', status: Message['deliveryStatus'], sentAt: number): Promise<Message> => {
      const m: Message = {
        id: `m${++n}`, conversationId: r.conversationId, customerId: r.customerId, channel: 'email', direction: 'outbound',
        authorId: null, authorName: 'A', subject: null, text: 'x', html: null, attachments: [], externalId: null,
        deliveryStatus: status, deliveryError: null, sentAt, updatedAt: sentAt, purpose, template: null,
      }
      await feed.as(TEST_ACTOR)((w) => w.put('message', m))
      return m
    }
    return { outbound }
  }
  const rules = (input: MessagingRulesInput) => MessagingRules.parse(input)

  it('caps promotional sends per rolling window, counting only messages that went out', async () => {
    const now = Date.parse('2025-03-01T12:00:00Z')
    const { outbound } = await setup()
    const cap = rules({ frequencyCaps: [{ max: 2, windowHours: 24 }] })
    await outbound('promotional', 'delivered', now - 2 * 3600_000)
    await outbound('promotional', 'failed', now - 3600_000)
    await outbound('transactional', 'sent', now - 3600_000)
    await outbound('promotional', 'sent', now - 30 * 3600_000) // outside the window
    const next = await outbound('promotional', 'queued', now)
    expect(await sendRefusal(store, cap, next, now)).toBeNull()
    await outbound('promotional', 'read', now - 60_000)
    expect(await sendRefusal(store, cap, next, now)).toMatch(/frequency cap reached \(2 promotional messages in the last 24 h; at most 2\)/)
    expect(await sendRefusal(store, cap, await outbound('transactional', 'queued', now), now)).toBeNull()
  })

  it('holds back promotional sends in quiet hours of the customer’s own time zone', async () => {
    const { outbound } = await setup({ timezone: 'America/New_York' })
    const quiet = rules({ quietHours: { start: '21:00', end: '08:00', timeZone: 'UTC' } })
    const at = Date.parse('2025-03-01T03:00:00Z') // 22:00 in New York, 03:00 UTC
    expect(await sendRefusal(store, quiet, await outbound('promotional', 'queued', at), at)).toMatch(/quiet hours \(21:00–08:00 America\/New_York\)/)
    expect(await sendRefusal(store, quiet, await outbound('transactional', 'queued', at), at)).toBeNull()
    const noon = Date.parse('2025-03-01T17:00:00Z')
    expect(await sendRefusal(store, quiet, await outbound('promotional', 'queued', noon), noon)).toBeNull()
  })

  it('refuses bad configuration with a clear message', () => {
    expect(MessagingRules.safeParse({ quietHours: { start: '25:00', end: '08:00' } }).error?.message).toMatch(/HH:MM/)
    expect(MessagingRules.safeParse({ quietHours: { start: '21:00', end: '08:00', timeZone: 'Mars/Base' } }).error?.message).toMatch(/IANA/)
  })
})
