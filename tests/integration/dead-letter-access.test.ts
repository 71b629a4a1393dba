import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { REFUSED_WEBHOOK } from '../../src/server/connectors/refused-payload'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { postTwilioForm } from './support/fake-provider'

/** Dead letters hold customers' messages and addresses: each supervisor sees those of their own inboxes. */

const PUBLIC_URL = 'https://threadline.example.test'
const AUTH_TOKEN = 'dead-letter-access-token'
const INBOXES = { north: '+15005550006', south: '+15005550007' } as const
type Side = keyof typeof INBOXES

let t: TestServer

beforeEach(async () => {
  t = await startTestServer({
    publicUrl: PUBLIC_URL,
    inboxes: Object.entries(INBOXES).map(([side, from]) => ({
      name: `sms-${side}`,
      channel: 'sms' as const,
      connector: { type: 'twilio-sms', accountSid: 'AC1', authToken: AUTH_TOKEN, from },
    })),
  })
})
afterEach(async () => {
  await t.cleanup()
})

const sms = (side: Side, sid: string, extra: Record<string, string> = {}) =>
  postTwilioForm(
    t.server.url,
    PUBLIC_URL,
    `/webhooks/sms-${side}/sms`,
    { MessageSid: sid, From: '+12025550143', To: INBOXES[side], Body: 'boom', NumMedia: '0', ...extra },
    AUTH_TOKEN,
  )

/** Each inbox gets a refused webhook and an accepted SMS whose storing fails; one more letter names no inbox. */
async function fillDeadLetters(): Promise<void> {
  const db = new Database(t.dbPath)
  db.exec(`CREATE TRIGGER fail_boom BEFORE INSERT ON messages WHEN NEW.text = 'boom' BEGIN SELECT RAISE(ABORT, 'disk trouble (test)'); END`)
  try {
    for (const side of Object.keys(INBOXES) as Side[]) {
      expect((await sms(side, `SMbad-${side}`, { NumMedia: '1', MediaUrl0: 'not a url' })).status).toBe(400)
      expect((await sms(side, `SMboom-${side}`)).status).toBe(200)
    }
    // As a letter written before letters knew their inbox, whose inbox could not be told afterwards.
    db.prepare(
      `INSERT INTO dead_letters (kind, inbox, payload, error, attempts, next_attempt_at, created_at)
       VALUES ('inbound', NULL, '{"externalId":"old"}', 'from an older server', 1, 1, 1)`,
    ).run()
  } finally {
    db.exec('DROP TRIGGER fail_boom')
    db.close()
  }
}

async function lettersSeenBy(inboxes: string[] | null): Promise<{ kind: string; inbox: string | null; payload: unknown }[]> {
  const { token } = await userWithToken(t.server, `Supervisor ${inboxes === null ? 'all' : inboxes.join(' ') || 'none'}`, { role: 'supervisor', inboxes })
  const res = await api(t.server.url, 'GET', '/api/v1/dead-letters?limit=1000', { token })
  expect(res.status).toBe(200)
  return res.body.items
}

const letterOf = (side: Side) => [
  expect.objectContaining({ kind: REFUSED_WEBHOOK, inbox: `sms-${side}`, payload: expect.objectContaining({ url: `/webhooks/sms-${side}/sms` }) }),
  expect.objectContaining({ kind: 'inbound', inbox: `sms-${side}`, payload: expect.objectContaining({ externalId: `SMboom-${side}` }) }),
]

describe('GET /api/v1/dead-letters', () => {
  it('shows a supervisor the letters of their own inboxes only, and letters of no known inbox only to one who sees every inbox', async () => {
    await fillDeadLetters()

    const north = await lettersSeenBy(['sms-north'])
    expect(north).toHaveLength(2)
    expect(north).toEqual(expect.arrayContaining(letterOf('north')))

    const south = await lettersSeenBy(['sms-south'])
    expect(south).toHaveLength(2)
    expect(south).toEqual(expect.arrayContaining(letterOf('south')))

    const both = await lettersSeenBy(['sms-north', 'sms-south'])
    expect(both).toHaveLength(4)

    const all = await lettersSeenBy(null)
    expect(all).toHaveLength(5)
    expect(all).toEqual(expect.arrayContaining([...letterOf('north'), ...letterOf('south'), expect.objectContaining({ inbox: null })]))

    expect(await lettersSeenBy([])).toEqual([])
  })

  it('still refuses agents, whatever their inboxes', async () => {
    await fillDeadLetters()
    const { token } = await userWithToken(t.server, 'Agent North', { inboxes: ['sms-north'] })
    const res = await api(t.server.url, 'GET', '/api/v1/dead-letters', { token })
    expect(res.status).toBe(403)
    expect(res.body.error.message).toMatch(/visible to supervisors and admins only/)
  })
})
