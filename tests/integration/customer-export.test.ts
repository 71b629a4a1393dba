import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { systemActor } from '../../src/shared/actors'
import type { AuditEntry } from '../../src/shared/audit'
import type { ConsentRecord } from '../../src/shared/consent-history'
import { EXPORT_FORMAT, ExportManifest, exportFileName } from '../../src/shared/customer-export'
import type { Attachment, Call, Conversation, Customer, Identity, Message, Note, Summary, TimelineEvent, User } from '../../src/shared/domain'
import { AttachmentStore } from '../../src/server/connectors/email/attachment-store'
import { serverAttachmentsDir } from '../../src/server/privacy/customer-export'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import { customerExportHandlers } from '../../src/core/handlers/customer-export'
import { jsonLines, unzip } from '../support/unzip'
import { startTestServer, userWithToken, type TestServer } from './server-fixtures'

/**
 * Exporting a customer through the real server and CLI, against a hand-built customer whose every
 * row is known: the archive must hold exactly those rows, and nothing of anyone else.
 */

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const T = 1_767_000_000_000
const SUPPORT = 'support'
const SMS = 'SMS'

let t: TestServer
const tokens = {} as Record<'admin' | 'supervisor' | 'scopedSupervisor' | 'outsider' | 'agent', string>
let admin: User
let attachment: Attachment
const attachmentBytes = Buffer.from('%PDF-1.4 the receipt for order 88213\n')

const customer: Customer = {
  id: 'cust-rosa',
  name: 'Rosa Diaz',
  labels: ['vip'],
  attributes: { plan: 'pro', orders: 3 },
  consent: { promotional: false, sms: false, transactional: true },
  consentChangedAt: { promotional: T + 500, sms: T + 500 },
  createdAt: T,
  updatedAt: T + 600,
  lastActivityAt: T + 600,
  mergedInto: null,
}

const identities: Identity[] = [
  { id: 'id-email', customerId: customer.id, kind: 'email', address: 'rosa.diaz@example.com', displayName: 'Rosa Diaz', createdAt: T, unverified: null },
  { id: 'id-phone', customerId: customer.id, kind: 'phone', address: '+15550101234', displayName: null, createdAt: T + 300, unverified: null },
]

const conversation = (id: string, inbox: string, channel: Conversation['channel'], at: number): Conversation => ({
  id,
  customerId: customer.id,
  channel,
  inbox,
  subject: channel === 'email' ? 'Order 88213 never arrived' : null,
  status: 'open',
  snoozedUntil: null,
  assigneeId: null,
  team: null,
  threadKey: `thread-${id}`,
  labels: [],
  priority: 'normal',
  previousConversationId: null,
  lastMessageAt: at,
  waitingSince: null,
  createdAt: at,
  updatedAt: at,
})
const conversations = [conversation('conv-email', SUPPORT, 'email', T + 100), conversation('conv-sms', SMS, 'sms', T + 300)]

const message = (id: string, conv: Conversation, at: number, over: Partial<Message>): Message => ({
  id,
  conversationId: conv.id,
  customerId: customer.id,
  channel: conv.channel,
  direction: 'inbound',
  authorId: null,
  authorName: 'Rosa Diaz',
  subject: null,
  text: '',
  html: null,
  htmlOmitted: null,
  unverifiedSender: null,
  attachments: [],
  externalId: `ext-${id}`,
  deliveryStatus: 'received',
  deliveryError: null,
  sentAt: at,
  updatedAt: at,
  purpose: null,
  template: null,
  cc: null,
  ...over,
})

const note: Note = {
  id: 'note-1',
  conversationId: 'conv-email',
  customerId: customer.id,
  authorId: 'agent-sam',
  authorName: 'Sam',
  text: 'Carrier confirms the parcel is lost; refund approved.',
  mentions: [],
  createdAt: T + 250,
}

const call: Call = {
  id: 'call-1',
  conversationId: 'conv-sms',
  customerId: customer.id,
  direction: 'inbound',
  status: 'completed',
  outcome: 'answered',
  durationSeconds: 184,
  recordingUrl: null,
  transcript: 'Rosa: I still have not got my refund. Agent: it was sent yesterday.',
  notes: 'Refund sent on the 4th; she will check her bank.',
  agentId: 'agent-sam',
  externalId: 'CA123',
  startedAt: T + 400,
  updatedAt: T + 590,
}

const events: TimelineEvent[] = [
  { id: 'ev-status', conversationId: 'conv-email', customerId: customer.id, type: 'status_changed', actorId: 'agent-sam', data: { from: 'open', to: 'pending' }, createdAt: T + 260 },
  {
    id: 'ev-consent',
    conversationId: 'conv-sms',
    customerId: customer.id,
    type: 'consent_changed',
    actorId: null,
    data: {
      via: 'keyword',
      channel: 'sms',
      keyword: 'STOP',
      messageId: 'msg-stop',
      actor: 'connector:twilio-sms:SMS',
      actorName: 'SMS',
      saidAt: T + 500,
      changes: { promotional: false, sms: false },
      previous: { promotional: true, sms: null },
    },
    createdAt: T + 510,
  },
]

const consentRecord = (key: 'promotional' | 'sms', previous: boolean | null): ConsentRecord => ({
  eventId: 'ev-consent',
  conversationId: 'conv-sms',
  key,
  value: false,
  previous,
  applied: true,
  source: 'keyword',
  channel: 'sms',
  keyword: 'STOP',
  messageId: 'msg-stop',
  note: null,
  actor: 'connector:twilio-sms:SMS',
  actorName: 'SMS',
  at: T + 500,
  recordedAt: T + 510,
})

const story: Summary = {
  id: 'story:cust-rosa',
  kind: 'customer_story',
  customerId: customer.id,
  conversationId: null,
  callId: null,
  text: 'Rosa’s order 88213 never arrived; a refund was approved and sent. She opted out of SMS.',
  facts: [{ kind: 'identifier', text: 'The order is 88213.', value: '88213', sourceIds: ['msg-1'] }],
  provider: 'embedded',
  model: null,
  fallbackReason: null,
  coversItemId: 'msg-stop',
  coversThrough: T + 500,
  itemCount: 5,
  inboxes: [SMS, SUPPORT],
  generatedAt: T + 550,
  updatedOnDevice: null,
}

let messages: Message[]

/** Rosa's record from before an agent merged it into hers (its identities and conversations moved with the merge). */
const mergedAway: Customer = { ...customer, id: 'cust-rosa-old', name: 'R. Diaz', labels: [], attributes: { source: 'webshop' }, consent: {}, consentChangedAt: null, mergedInto: customer.id }

/** Someone else, in the same inbox: nothing of theirs may reach Rosa's archive. */
const other: Customer = { ...customer, id: 'cust-bob', name: 'Bob Stone', labels: [], attributes: {}, consent: {}, consentChangedAt: null }
const otherConversation: Conversation = { ...conversation('conv-bob', SUPPORT, 'email', T + 50), customerId: other.id }

/** Rosa, her merged-away record, Bob and Rosa's attachment, written into the server's database before it starts: the rows are exactly these. */
async function seedRosa(dbPath: string): Promise<void> {
  attachment = new AttachmentStore(serverAttachmentsDir({ dbPath }), 1_000_000).save(attachmentBytes, {
    name: 'receipt.pdf',
    contentType: 'application/pdf',
    inbox: SUPPORT,
  })
  const [email, sms] = conversations as [Conversation, Conversation]
  messages = [
    message('msg-1', email, T + 100, { subject: 'Order 88213 never arrived', text: 'My order 88213 never arrived. Receipt attached.', attachments: [attachment] }),
    message('msg-2', email, T + 200, {
      direction: 'outbound',
      authorId: 'agent-sam',
      authorName: 'Sam',
      text: 'Sorry Rosa, we are refunding you today.',
      html: '<p>Sorry Rosa, we are refunding you today.</p>',
      deliveryStatus: 'delivered',
      purpose: 'transactional',
      cc: ['billing@example.com'],
    }),
    message('msg-stop', sms, T + 500, { text: 'STOP' }),
  ]
  const store = openSqliteStore(dbPath)
  try {
    await store.write(async (w) => {
      for (const c of [customer, mergedAway, other]) await w.put('customer', c)
      await w.addCustomerMerge({
        id: 'merge-1',
        sourceId: mergedAway.id,
        targetId: customer.id,
        moved: { identityIds: ['id-phone'], conversationIds: ['conv-sms'], labels: [], attributeKeys: [], consent: {} },
        mergedBy: 'agent-sam',
        mergedAt: T + 350,
        undoneAt: null,
      })
      for (const i of identities) await w.put('identity', i)
      await w.put('identity', { ...identities[0]!, id: 'id-bob', customerId: other.id, address: 'bob@example.com' })
      for (const c of [...conversations, otherConversation]) await w.put('conversation', c)
      for (const m of messages) await w.put('message', m)
      await w.put('message', message('msg-bob', otherConversation, T + 150, { customerId: other.id, text: 'Bob here', attachments: [attachment] }))
      await w.put('note', note)
      await w.put('call', call)
      for (const e of events) await w.put('event', e)
      await w.put('summary', story)
    }, systemActor('test'))
  } finally {
    await store.close()
  }
}

beforeAll(async () => {
  t = await startTestServer({}, { beforeStart: (dbPath) => seedRosa(dbPath) })
  const adminUser = await userWithToken(t.server, 'Ada Admin', { role: 'admin', inboxes: [] })
  admin = adminUser.user
  tokens.admin = adminUser.token
  tokens.supervisor = (await userWithToken(t.server, 'Sue Supervisor', { role: 'supervisor', inboxes: [SUPPORT, SMS] })).token
  tokens.scopedSupervisor = (await userWithToken(t.server, 'Scott Scoped', { role: 'supervisor', inboxes: [SUPPORT] })).token
  tokens.outsider = (await userWithToken(t.server, 'Olga Outside', { role: 'supervisor', inboxes: ['sales'] })).token
  tokens.agent = (await userWithToken(t.server, 'Andy Agent', { role: 'agent', inboxes: null })).token
})

afterAll(async () => {
  await t?.cleanup()
})

async function download(customerId: string, token: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${t.server.url}/api/v1/customers/${customerId}/export`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) }
}

const json = (content: Buffer | undefined): unknown => JSON.parse(content?.toString('utf8') ?? 'null')

/** The audit log's export entries for Rosa, oldest first, read from the server's database. */
async function exportsAudited(): Promise<AuditEntry[]> {
  const store = openSqliteStore(t.dbPath)
  try {
    const page = await store.auditEntries({ action: 'customer.exported', targetType: 'customer', targetId: customer.id, limit: 100 })
    return page.items.reverse()
  } finally {
    await store.close()
  }
}

/** Checks every entry of Rosa's archive against the rows written; `exportedBy` names who asked. */
async function expectRosasArchive(archive: Buffer, exportedBy: string): Promise<void> {
  const entries = await unzip(archive)
  const fileEntry = `attachments/${attachment.url!.split('/').at(-1)}`
  const names = [
    'customer.json',
    'merged-customers.json',
    'identities.json',
    'conversations.json',
    'messages.jsonl',
    'notes.jsonl',
    'calls.jsonl',
    'events.jsonl',
    'summaries.json',
    'consent-history.json',
    'attachments.json',
    fileEntry,
  ]
  expect([...entries.keys()]).toEqual([...names, 'manifest.json'])
  expect(json(entries.get('customer.json'))).toEqual(customer)
  expect(json(entries.get('merged-customers.json'))).toEqual([mergedAway])
  expect(json(entries.get('identities.json'))).toEqual(identities)
  // No SLA policy covers them: the store reads their clocks back as none.
  expect(json(entries.get('conversations.json'))).toEqual(conversations.map((c) => ({ ...c, sla: null })))
  expect(jsonLines(entries.get('messages.jsonl'))).toEqual(messages)
  expect(jsonLines(entries.get('notes.jsonl'))).toEqual([note])
  expect(jsonLines(entries.get('calls.jsonl'))).toEqual([call])
  expect(jsonLines(entries.get('events.jsonl'))).toEqual(events)
  expect(json(entries.get('summaries.json'))).toEqual([story])
  expect(json(entries.get('consent-history.json'))).toEqual([consentRecord('promotional', true), consentRecord('sms', null)])
  expect(json(entries.get('attachments.json'))).toEqual([
    { id: fileEntry.slice('attachments/'.length), path: fileEntry, name: 'receipt.pdf', contentType: 'application/pdf', size: attachmentBytes.length, messageIds: ['msg-1'] },
  ])
  expect(entries.get(fileEntry)).toEqual(attachmentBytes)
  const manifest = ExportManifest.parse(json(entries.get('manifest.json')))
  expect(manifest).toEqual({
    format: EXPORT_FORMAT,
    version: 1,
    customerId: customer.id,
    exportedAt: manifest.exportedAt,
    exportedBy,
    counts: { mergedCustomers: 1, identities: 2, conversations: 2, messages: 3, notes: 1, calls: 1, events: 2, summaries: 1, consentRecords: 2, attachments: 1 },
    entries: names,
  })
  expect(Math.abs(manifest.exportedAt - Date.now())).toBeLessThan(60_000)
  // Nothing of the other customer's, anywhere in the archive.
  for (const [name, content] of entries) expect(content.includes('cust-bob') || content.includes('Bob'), name).toBe(false)
}

describe('exporting a customer', () => {
  it('gives an admin the whole archive over REST, exactly the customer’s rows and files, as a named zip download', async () => {
    const res = await download(customer.id, tokens.admin)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/zip')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${exportFileName(customer.id, Date.now())}"`)
    await expectRosasArchive(res.body, `user:${admin.id}`)
    expect(await exportsAudited()).toEqual([
      expect.objectContaining({ actor: `user:${admin.id}`, actorName: 'Ada Admin', target: { type: 'customer', id: customer.id }, origin: expect.objectContaining({ via: 'rest', ip: '127.0.0.1' }) }),
    ])
  })

  it('lets a supervisor who sees every inbox of the customer export them, and refuses one who sees only some, saying why', async () => {
    expect((await download(customer.id, tokens.supervisor)).status).toBe(200)
    const partial = await download(customer.id, tokens.scopedSupervisor)
    expect(partial.status).toBe(403)
    expect(json(partial.body)).toEqual({
      error: {
        code: 'forbidden',
        message: 'this customer also has conversations in an inbox you cannot see, and an export must be complete: ask an admin to export it',
      },
    })
  })

  it('refuses agents, and answers a customer out of reach as unknown', async () => {
    const agent = await download(customer.id, tokens.agent)
    expect(agent.status).toBe(403)
    expect(json(agent.body)).toMatchObject({ error: { message: 'exporting a customer’s data is for supervisors and admins' } })
    expect((await download(customer.id, tokens.outsider)).status).toBe(404)
    expect((await download('no-such-customer', tokens.admin)).status).toBe(404)
    // Refusals export nothing, so the log holds only the two exports made: the admin's and the supervisor's.
    expect(await exportsAudited()).toHaveLength(2)
  })

  it('writes the same archive to a file from the CLI, and refuses an unknown customer without leaving a file', async () => {
    const file = path.join(t.dir, 'rosa.zip')
    const env = { ...process.env, THREADLINE_DB: t.dbPath }
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', 'customers:export', customer.id, file], { cwd: root, env })
    expect(stdout).toContain(`exported customer ${customer.id} to ${file}: 2 conversations, 3 messages, 1 notes, 1 calls, 2 events`)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    await expectRosasArchive(fs.readFileSync(file), 'system:cli')
    expect((await exportsAudited()).at(-1)).toMatchObject({ actor: 'system:cli', origin: { via: 'cli' }, details: { count: 7 } })

    const missing = path.join(t.dir, 'nobody.zip')
    const refused = await run(process.execPath, ['--import', 'tsx', 'src/server/cli.ts', 'customers:export', 'no-such-customer', missing], { cwd: root, env }).catch(
      (err: { code: number; stderr: string }) => err,
    )
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown customer no-such-customer') })
    expect(fs.readdirSync(t.dir).filter((f) => f.includes('nobody'))).toEqual([])
  }, 60_000)

  it('has the client core save the archive in the Downloads folder, never over an earlier one, and pass a refusal on in the server’s words', async () => {
    const downloads = path.join(t.dir, 'Downloads')
    process.env.THREADLINE_DOWNLOADS_DIR = downloads
    try {
      const asAdmin = customerExportHandlers({ serverUrl: t.server.url, token: tokens.admin })['customer.export']
      const first = await asAdmin({ customerId: customer.id })
      const second = await asAdmin({ customerId: customer.id })
      const name = exportFileName(customer.id, Date.now())
      expect(first).toEqual({ path: path.join(downloads, name), name, bytes: fs.statSync(first.path).size })
      expect(second.name).toBe(name.replace(/\.zip$/, ' (2).zip'))
      expect(fs.readdirSync(downloads).sort()).toEqual([second.name, name].sort())
      await expectRosasArchive(fs.readFileSync(second.path), `user:${admin.id}`)

      const asScoped = customerExportHandlers({ serverUrl: t.server.url, token: tokens.scopedSupervisor })['customer.export']
      await expect(asScoped({ customerId: customer.id })).rejects.toMatchObject({
        code: 'bad_request',
        message: 'This customer also has conversations in an inbox you cannot see, and an export must be complete: ask an admin to export it.',
      })
      expect(fs.readdirSync(downloads)).toHaveLength(2)
    } finally {
      delete process.env.THREADLINE_DOWNLOADS_DIR
    }
  })
})
