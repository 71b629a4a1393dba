import { simpleParser } from 'mailparser'
import type Mail from 'nodemailer/lib/mailer'
import MailComposer from 'nodemailer/lib/mail-composer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'
import { emailConnector, startDovecot, startSmtpCapture, type DovecotServer, type SmtpCapture } from './support/mail-servers'
import { eventually } from './support/eventually'

/**
 * The imap-smtp connector against real peers: Debian's Dovecot serving the support mailbox
 * (mail is delivered into its Maildir, as a local delivery agent would) and an SMTP server
 * capturing the replies. Every check reads the server through its REST API.
 */

const SUPPORT = 'support@threadline.test'
const ATTACHMENT_LIMIT = 100_000
/** The receiving mail server whose Authentication-Results the inbox trusts. */
const AUTHSERV_ID = 'mx.threadline.test'

let dovecot: DovecotServer
let smtp: SmtpCapture
let t: TestServer
let token: string

beforeAll(async () => {
  dovecot = await startDovecot({ user: SUPPORT, password: 'imap-secret' })
  smtp = await startSmtpCapture()
  t = await startTestServer({
    outbound: 'none',
    inboxes: [
      {
        name: 'support',
        channel: 'email',
        connector: {
          ...emailConnector(dovecot, smtp, 'Threadline Support'),
          attachments: { maxBytes: ATTACHMENT_LIMIT },
          reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
          authservId: AUTHSERV_ID,
        },
      },
    ],
  })
  token = (await userWithToken(t.server, 'Alex')).token
})

afterAll(async () => {
  await t?.cleanup()
  await smtp?.close()
  await dovecot?.cleanup()
})

const compose = (mail: Mail.Options): Promise<Buffer> => new MailComposer({ to: SUPPORT, ...mail }).compile().build()
const deliver = async (mail: Mail.Options): Promise<void> => dovecot.deliver(await compose(mail))

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any

const get = async (route: string): Promise<Json> => {
  const res = await api(t.server.url, 'GET', route, { token })
  expect(res.status, `GET ${route}: ${JSON.stringify(res.body)}`).toBe(200)
  return res.body
}

async function customerOf(address: string): Promise<Json> {
  return eventually(async () => (await get(`/api/v1/customers?q=${encodeURIComponent(address)}`)).items[0], `a customer with ${address}`)
}

const profileOf = (customerId: string): Promise<Json> => get(`/api/v1/customers/${customerId}`)
const messagesOf = async (conversationId: string): Promise<Json[]> => (await get(`/api/v1/conversations/${conversationId}/messages?limit=200`)).items

/** Waits until the message with this Message-ID has been ingested, and returns it. */
async function ingested(customerAddress: string, messageId: string): Promise<Json> {
  const customer = await customerOf(customerAddress)
  return eventually(async () => {
    const timeline = await get(`/api/v1/customers/${customer.id}/timeline?limit=200`)
    return timeline.items.find((e: Json) => e.kind === 'message' && e.item.externalId === messageId)?.item
  }, `message ${messageId}`)
}

/**
 * Mail is read in mailbox order, so once a later "sentinel" message is in, everything
 * delivered before it has been handled: what is missing by then was deliberately not ingested.
 */
async function afterEverythingBefore(): Promise<void> {
  const id = `<sentinel-${Date.now()}-${Math.random().toString(36).slice(2)}@customers.test>`
  await deliver({ from: 'Sentinel <sentinel@customers.test>', subject: 'sentinel', text: 'sentinel', messageId: id })
  await ingested('sentinel@customers.test', id)
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

describe('email connector (IMAP in, SMTP out)', () => {
  it('puts a customer mail with HTML, an inline image and attachments into the timeline', async () => {
    const invoice = Buffer.from('%PDF-1.4 pretend invoice\n'.repeat(100))
    const oversized = Buffer.alloc(ATTACHMENT_LIMIT + 1, 7)
    await deliver({
      from: 'Ann Example <Ann@Customers.test>',
      subject: 'Order 1001 arrived broken',
      messageId: '<order-1001@customers.test>',
      text: 'The mug arrived in pieces. Photo attached.',
      html: '<p>The mug arrived <b>in pieces</b>.</p><img src="cid:photo@customers.test"><script>alert(1)</script>',
      attachments: [
        { filename: 'photo.png', content: PNG, contentType: 'image/png', cid: 'photo@customers.test' },
        { filename: 'invoice.pdf', content: invoice, contentType: 'application/pdf' },
        { filename: 'video.bin', content: oversized, contentType: 'application/octet-stream' },
      ],
    })
    const message = await ingested('ann@customers.test', '<order-1001@customers.test>')
    const customer = await customerOf('ann@customers.test')
    expect(customer.name).toBe('Ann Example')
    const profile = await profileOf(customer.id)
    expect(profile.identities).toEqual([expect.objectContaining({ kind: 'email', address: 'ann@customers.test' })])
    expect(profile.conversations).toEqual([
      expect.objectContaining({ channel: 'email', inbox: 'support', subject: 'Order 1001 arrived broken', status: 'open' }),
    ])
    expect(message).toMatchObject({ direction: 'inbound', subject: 'Order 1001 arrived broken', deliveryStatus: 'received' })
    expect(message.text).toContain('The mug arrived in pieces.')
    // HTML is kept, sanitized, and the inline image points at its stored copy.
    expect(message.html).toContain('<b>in pieces</b>')
    expect(message.html).not.toContain('<script')
    const [photo, pdf, video] = message.attachments
    expect(photo).toMatchObject({ name: 'photo.png', contentType: 'image/png', size: PNG.length, url: expect.stringMatching(/^\/api\/v1\/attachments\/[0-9a-f]{64}$/) })
    expect(message.html).toContain(`src="${photo.url}"`)
    expect(pdf).toMatchObject({ name: 'invoice.pdf', contentType: 'application/pdf', size: invoice.length })
    expect(video).toMatchObject({ name: 'video.bin', size: oversized.length, url: null, note: expect.stringContaining('over the') })

    // Attachments are served to API users, byte for byte, and to nobody else.
    const download = await fetch(`${t.server.url}${pdf.url}`, { headers: { authorization: `Bearer ${token}` } })
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('application/pdf')
    expect(download.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''invoice.pdf")
    expect(Buffer.from(await download.arrayBuffer()).equals(invoice)).toBe(true)
    expect((await fetch(`${t.server.url}${pdf.url}`)).status).toBe(401)
    const other = (await userWithToken(t.server, 'Billing Only', { inboxes: ['billing'] })).token
    expect((await fetch(`${t.server.url}${pdf.url}`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(404)
    expect((await fetch(`${t.server.url}/api/v1/attachments/..%2Fserver.sqlite`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(400)
  })

  it('threads replies by In-Reply-To/References, and by subject when a client dropped them', async () => {
    const first = await ingested('ann@customers.test', '<order-1001@customers.test>')
    await deliver({
      from: 'Ann Example <ann@customers.test>',
      subject: 'Re: Order 1001 arrived broken',
      messageId: '<order-1001-reply@customers.test>',
      inReplyTo: '<order-1001@customers.test>',
      references: ['<order-1001@customers.test>'],
      text: 'Any news?',
    })
    const reply = await ingested('ann@customers.test', '<order-1001-reply@customers.test>')
    expect(reply.conversationId).toBe(first.conversationId)

    await deliver({
      from: 'ann@customers.test',
      subject: 'RE: order 1001 arrived broken',
      messageId: '<order-1001-webmail@customers.test>',
      text: 'Sent from a webmail that forgets headers.',
    })
    expect((await ingested('ann@customers.test', '<order-1001-webmail@customers.test>')).conversationId).toBe(first.conversationId)

    await deliver({ from: 'ann@customers.test', subject: 'Address change', messageId: '<address@customers.test>', text: 'New address' })
    expect((await ingested('ann@customers.test', '<address@customers.test>')).conversationId).not.toBe(first.conversationId)
  })

  it('ingests a mail delivered twice (same Message-ID) once', async () => {
    const raw = await compose({ from: 'bo@customers.test', subject: 'Refund', messageId: '<refund-1@customers.test>', text: 'Refund please' })
    dovecot.deliver(raw)
    const first = await ingested('bo@customers.test', '<refund-1@customers.test>')
    dovecot.deliver(raw)
    await afterEverythingBefore()
    const messages = await messagesOf(first.conversationId)
    expect(messages.map((m: Json) => m.externalId)).toEqual(['<refund-1@customers.test>'])
  })

  it('does not treat auto-replies, bounces or the inbox\'s own mail as customer messages', async () => {
    const before = await messagesOf((await ingested('bo@customers.test', '<refund-1@customers.test>')).conversationId)
    await deliver({
      from: 'bo@customers.test',
      subject: 'Automatic reply: Refund',
      messageId: '<ooo-1@customers.test>',
      inReplyTo: '<refund-1@customers.test>',
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
      text: 'I am out of the office until Monday.',
    })
    await deliver({ from: 'bo@customers.test', subject: 'Out of Office', messageId: '<ooo-2@customers.test>', text: 'Away.' })
    await deliver({
      from: 'newsletter@shop.test',
      subject: 'Deals',
      messageId: '<bulk-1@shop.test>',
      headers: { Precedence: 'bulk' },
      text: 'Buy',
    })
    dovecot.deliver(bounceFor('<not-ours@elsewhere.test>', 'gone@customers.test'))
    // A copy of mail sent from the inbox's own address (a colleague, or a Bcc of a reply).
    await deliver({ from: SUPPORT, to: 'bo@customers.test', subject: 'Re: Refund', messageId: '<own-copy@threadline.test>', text: 'Done.' })
    await afterEverythingBefore()
    expect(await messagesOf(before[0].conversationId)).toEqual(before)
    for (const address of ['mailer-daemon@mx.customers.test', 'newsletter@shop.test', SUPPORT]) {
      expect((await get(`/api/v1/customers?q=${encodeURIComponent(address)}`)).items).toEqual([])
    }
  })

  it('sends a reply with threading headers; its state becomes sent, and a later bounce marks it failed', async () => {
    const latest = await ingested('ann@customers.test', '<order-1001-webmail@customers.test>')
    const res = await api(t.server.url, 'POST', `/api/v1/conversations/${latest.conversationId}/reply`, {
      token,
      body: { text: 'So sorry! A new mug is on its way.' },
    })
    expect(res.status).toBe(201)
    const sent = await eventually(async () => {
      const m = (await messagesOf(latest.conversationId)).find((x: Json) => x.id === res.body.id)
      return m?.deliveryStatus === 'sent' ? m : null
    }, 'the reply to be sent')
    expect(smtp.received).toHaveLength(1)
    const envelope = smtp.received[0]!
    expect(envelope).toMatchObject({ from: SUPPORT, to: ['ann@customers.test'] })
    const mail = await simpleParser(envelope.raw)
    expect(mail.from?.value).toEqual([{ address: SUPPORT, name: 'Threadline Support' }])
    expect(mail.to).toMatchObject({ value: [{ address: 'ann@customers.test' }] })
    expect(mail.subject).toBe('Re: Order 1001 arrived broken')
    // The agent's words first, then the customer's latest mail quoted below them.
    expect(mail.text?.trim()).toMatch(/^So sorry! A new mug is on its way\.\n\nOn .+, Ann Example wrote:\n> Sent from a webmail that forgets headers\.$/)
    // Its Message-ID is the stored external id; it answers the customer's latest mail and
    // carries the whole chain from the thread's root.
    expect(sent.externalId).toBe(mail.messageId)
    expect(mail.messageId).toMatch(/^<[^@>]+@threadline\.test>$/)
    expect(mail.inReplyTo).toBe('<order-1001-webmail@customers.test>')
    expect(mail.references).toEqual(['<order-1001@customers.test>', '<order-1001-reply@customers.test>', '<order-1001-webmail@customers.test>'])

    // The customer answers the reply: it threads by our Message-ID.
    await deliver({
      from: 'ann@customers.test',
      subject: 'Re: Order 1001 arrived broken',
      messageId: '<thanks@customers.test>',
      inReplyTo: mail.messageId,
      references: [...(mail.references as string[]), mail.messageId as string],
      text: 'Thanks!',
    })
    expect((await ingested('ann@customers.test', '<thanks@customers.test>')).conversationId).toBe(latest.conversationId)

    dovecot.deliver(bounceFor(mail.messageId as string, 'ann@customers.test'))
    const failed = await eventually(async () => {
      const m = (await messagesOf(latest.conversationId)).find((x: Json) => x.id === res.body.id)
      return m?.deliveryStatus === 'failed' ? m : null
    }, 'the bounce to mark the reply failed')
    expect(failed.deliveryError).toContain('550 5.1.1')
  })

  it('records a reply the SMTP server refuses as failed, with its reason', async () => {
    const conversation = (await ingested('bo@customers.test', '<refund-1@customers.test>')).conversationId
    smtp.refuseNext('bo@customers.test')
    const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversation}/reply`, { token, body: { text: 'Refunded.' } })
    const failed = await eventually(async () => {
      const m = (await messagesOf(conversation)).find((x: Json) => x.id === res.body.id)
      return m?.deliveryStatus === 'failed' ? m : null
    }, 'the refused reply to fail')
    expect(failed.deliveryError).toMatch(/550|unavailable/)
  })

  it('sends a reply whose cc the SMTP server refuses to the customer, as sent, with the refusal on the message', async () => {
    const conversation = (await ingested('bo@customers.test', '<refund-1@customers.test>')).conversationId
    smtp.refuseNext('gone@partner.test')
    const mailsBefore = smtp.received.length
    const res = await api(t.server.url, 'POST', `/api/v1/conversations/${conversation}/reply`, {
      token,
      body: { text: 'Refunded, your accountant is copied.', cc: ['gone@partner.test', 'books@partner.test'] },
    })
    expect(res.status).toBe(201)
    const sent = await eventually(async () => {
      const m = (await messagesOf(conversation)).find((x: Json) => x.id === res.body.id)
      return m && m.deliveryStatus !== 'queued' ? m : null
    }, 'the reply to leave the queue')
    expect(sent.deliveryStatus).toBe('sent')
    expect(sent.deliveryError).toMatch(/refused cc gone@partner\.test \(550 .*unavailable\)/)
    expect(sent.deliveryError).not.toContain('books@partner.test')
    expect(sent.externalId).toMatch(/@threadline\.test>$/)
    // The customer and the accepted cc got the one mail.
    expect(smtp.received).toHaveLength(mailsBefore + 1)
    expect([...smtp.received.at(-1)!.to].sort()).toEqual(['bo@customers.test', 'books@partner.test'])
  })

  it('keeps going past malformed mail', async () => {
    dovecot.deliver('Subject: no sender at all\r\nMessage-ID: <nofrom@customers.test>\r\n\r\nwho am I?\r\n')
    dovecot.deliver('From: cy@\r\nSubject: broken address\r\nMessage-ID: <badaddr@customers.test>\r\n\r\nhello\r\n')
    dovecot.deliver(Buffer.concat([Buffer.from('From: =?x?Q?\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n'), Buffer.from([0, 1, 2, 255, 254])]))
    await deliver({ from: 'cy@customers.test', subject: 'Still works', messageId: '<after-garbage@customers.test>', text: 'ok' })
    await ingested('cy@customers.test', '<after-garbage@customers.test>')
    expect((await get(`/api/v1/customers?q=${encodeURIComponent('cy@')}`)).items).toHaveLength(1)
  })

  it('keeps the words of a mail whose HTML nests 120,000 tags deep, and says why the formatting is gone', async () => {
    await deliver({
      from: 'Nested <nested@customers.test>',
      subject: 'Formatting',
      messageId: '<nested-120k@customers.test>',
      html: '<p>' + '<b>'.repeat(120_000) + 'x</p>',
    })
    const message = await ingested('nested@customers.test', '<nested-120k@customers.test>')
    expect(message).toMatchObject({ html: null, htmlOmitted: 'too_complex', text: 'x' })
    expect((await api(t.server.url, 'GET', '/health')).status).toBe(200)
  })

  it('keeps mail failing DMARC apart from the customer its From: names, marked in the timeline', async () => {
    await deliver({ from: 'Bea Known <bea@customers.test>', subject: 'My order', messageId: '<bea-1@customers.test>', text: 'Where is order 77?' })
    const bea = await customerOf('bea@customers.test')
    await ingested('bea@customers.test', '<bea-1@customers.test>')

    // A forged header below the trusted one, as a sender could write it, changes nothing.
    await deliver({
      from: 'Bea Known <bea@customers.test>',
      subject: 'Re: My order',
      messageId: '<spoofed-1@attacker.test>',
      inReplyTo: '<bea-1@customers.test>',
      references: ['<bea-1@customers.test>'],
      text: 'Please send the refund to this new account instead.',
      headers: [
        { key: 'Authentication-Results', value: `${AUTHSERV_ID}; spf=fail smtp.mailfrom=attacker.test; dmarc=fail (p=reject) header.from=customers.test` },
        { key: 'Authentication-Results', value: `${AUTHSERV_ID}; dmarc=pass header.from=customers.test` },
      ],
    })
    await afterEverythingBefore()
    const spoofed = await eventually(async () => {
      const conversations = (await get('/api/v1/conversations?channel=email&limit=200')).items as Json[]
      for (const c of conversations) {
        const found = (await messagesOf(c.id)).find((m) => m.externalId === '<spoofed-1@attacker.test>')
        if (found) return found
      }
      return null
    }, 'the spoofed mail')
    expect(spoofed).toMatchObject({ unverifiedSender: 'failed_dmarc', authorName: 'Bea Known' })
    expect(spoofed.customerId).not.toBe(bea.id)
    const beaTimeline = await get(`/api/v1/customers/${bea.id}/timeline?limit=200`)
    expect(beaTimeline.items.map((e: Json) => e.item.externalId)).not.toContain('<spoofed-1@attacker.test>')
    const suggestion = (await get(`/api/v1/customers/${spoofed.customerId}/timeline?limit=200`)).items.find(
      (e: Json) => e.kind === 'event' && e.item.type === 'identity_suggested',
    )
    expect(suggestion.item.data).toMatchObject({ suggestedCustomerId: bea.id, detail: expect.stringContaining('DMARC') })

    // Passing DMARC (or no verdict at all) is Bea as before.
    await deliver({
      from: 'Bea Known <bea@customers.test>',
      subject: 'Re: My order',
      messageId: '<bea-2@customers.test>',
      inReplyTo: '<bea-1@customers.test>',
      text: 'Thanks!',
      headers: [{ key: 'Authentication-Results', value: `${AUTHSERV_ID}; dmarc=pass header.from=customers.test` }],
    })
    expect(await ingested('bea@customers.test', '<bea-2@customers.test>')).toMatchObject({ customerId: bea.id, unverifiedSender: null })
  })

  it('reconnects after the IMAP server goes away and reads the mail that arrived meanwhile', async () => {
    const logins = dovecot.logins()
    await dovecot.kill()
    await deliver({ from: 'dee@customers.test', subject: 'While you were down', messageId: '<down-1@customers.test>', text: 'hello?' })
    await new Promise((r) => setTimeout(r, 300))
    await dovecot.start()
    await ingested('dee@customers.test', '<down-1@customers.test>')
    // Read over a new connection: the old one died with the server.
    expect(dovecot.logins()).toBeGreaterThan(logins)
    // And IDLE works on the new connection.
    await deliver({ from: 'dee@customers.test', subject: 'Back up', messageId: '<up-1@customers.test>', text: 'there you are' })
    await ingested('dee@customers.test', '<up-1@customers.test>')
  })

  it('after a server restart, picks up the mail that arrived while it was stopped', async () => {
    const dbPath = t.dbPath
    const before = await t.server.counts()
    await t.server.close()
    await deliver({ from: 'eve@customers.test', subject: 'While restarting', messageId: '<restart-1@customers.test>', text: 'hi' })
    const { startServer } = await import('../../src/server/server')
    const restarted = await startServer({
      dbPath,
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      outbound: 'none',
      inboxes: [
        {
          name: 'support',
          channel: 'email',
          connector: {
            type: 'imap-smtp',
            imap: { host: dovecot.host, port: dovecot.port, secure: false, user: SUPPORT, password: 'imap-secret' },
            smtp: { host: '127.0.0.1', port: smtp.port, secure: false },
            from: { address: SUPPORT },
          },
        },
      ],
    })
    const original = t
    t = {
      ...original,
      server: restarted,
      cleanup: async () => {
        await restarted.close()
        await original.cleanup()
      },
    }
    await ingested('eve@customers.test', '<restart-1@customers.test>')
    expect(await restarted.counts()).toMatchObject({ customers: before.customers + 1, messages: before.messages + 1 })
  })
})

/** A delivery status notification (RFC 3464) for `messageId`, as an MTA sends it back. */
function bounceFor(messageId: string, recipient: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.customers.test>',
    `To: ${SUPPORT}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <bounce-${Math.random().toString(36).slice(2)}@mx.customers.test>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"',
    '',
    '--BOUNDARY',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'This is the mail system. Your message could not be delivered.',
    '',
    '--BOUNDARY',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.customers.test',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--BOUNDARY',
    'Content-Type: text/rfc822-headers',
    '',
    `From: ${SUPPORT}`,
    `To: ${recipient}`,
    'Subject: Re: something',
    `Message-ID: ${messageId}`,
    '',
    '--BOUNDARY--',
    '',
  ].join('\r\n')
}
