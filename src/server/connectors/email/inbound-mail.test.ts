import type Mail from 'nodemailer/lib/mailer'
import MailComposer from 'nodemailer/lib/mail-composer'
import { describe, expect, it } from 'vitest'
import { classifyMail, fallbackMessageId, parseMail, toInboundMessage } from './inbound-mail'

const raw = (mail: Mail.Options): Promise<Buffer> =>
  new MailComposer({ from: 'Ann <ann@customers.test>', to: 'support@threadline.test', subject: 'Order', text: 'hello', ...mail }).compile().build()
const classify = async (mail: Mail.Options) => classifyMail(await parseMail(await raw(mail)))

describe('classifyMail', () => {
  it('takes ordinary mail, replies included, for a customer writing', async () => {
    expect(await classify({})).toEqual({ kind: 'customer' })
    expect(await classify({ subject: 'Re: Order', inReplyTo: '<a@b>', headers: { 'Auto-Submitted': 'no' } })).toEqual({ kind: 'customer' })
    expect(await classify({ subject: 'Where is my office chair?' })).toEqual({ kind: 'customer' })
  })

  it('recognizes automatic replies by their headers and subjects', async () => {
    const cases: [Mail.Options, string][] = [
      [{ headers: { 'Auto-Submitted': 'auto-replied' } }, 'Auto-Submitted: auto-replied'],
      [{ headers: { 'Auto-Submitted': 'auto-generated' } }, 'Auto-Submitted: auto-generated'],
      [{ headers: { 'X-Autoreply': 'yes' } }, 'x-autoreply header'],
      [{ headers: { 'X-Autorespond': 'Out of office' } }, 'x-autorespond header'],
      [{ headers: { Precedence: 'bulk' } }, 'Precedence: bulk'],
      [{ headers: { Precedence: 'auto_reply' } }, 'Precedence: auto_reply'],
      [{ subject: 'Out of Office: Order' }, 'subject "Out of Office: Order"'],
      [{ subject: 'Automatic reply: Order' }, 'subject "Automatic reply: Order"'],
    ]
    for (const [mail, reason] of cases) expect(await classify(mail)).toEqual({ kind: 'auto-reply', reason })
  })

  it('recognizes bounces and names the Message-ID that bounced with the reason', async () => {
    const dsn = [
      'From: postmaster@mx.test',
      'To: support@threadline.test',
      'Subject: Delivery Status Notification (Failure)',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'Delivery failed.',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Status: 5.2.2',
      'Diagnostic-Code: smtp; 552 5.2.2 mailbox full',
      '--b',
      'Content-Type: message/rfc822',
      '',
      'Message-ID: <ours-1@threadline.test>',
      'Subject: Re: Order',
      '',
      'our reply',
      '--b--',
      '',
    ].join('\r\n')
    expect(classifyMail(await parseMail(Buffer.from(dsn)))).toEqual({
      kind: 'bounce',
      reason: 'multipart/report delivery-status',
      bouncedMessageIds: ['<ours-1@threadline.test>'],
      diagnostic: '552 5.2.2 mailbox full',
    })
    // Plain-text bounces from a mailer daemon, without a report part.
    expect(await classify({ from: 'MAILER-DAEMON@mx.test', subject: 'failure notice', inReplyTo: '<ours-2@threadline.test>' })).toMatchObject({
      kind: 'bounce',
      bouncedMessageIds: ['<ours-2@threadline.test>'],
    })
    expect(await classify({ headers: { 'X-Failed-Recipients': 'gone@customers.test' } })).toMatchObject({ kind: 'bounce' })
  })

  it('sees a read receipt as automatic, not as a customer writing', async () => {
    const mdn = 'From: ann@customers.test\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nread\r\n--b--\r\n'
    expect(classifyMail(await parseMail(Buffer.from(mdn)))).toEqual({ kind: 'auto-reply', reason: 'read receipt (disposition-notification)' })
  })
})

describe('toInboundMessage', () => {
  it('maps the threading headers, sender and body', async () => {
    const source = await raw({
      messageId: '<m3@customers.test>',
      inReplyTo: '<m2@customers.test>',
      references: ['<m1@customers.test>', '<m2@customers.test>'],
      html: '<p>hello</p>',
      date: new Date('2030-01-01T00:00:00Z'),
    })
    const item = toInboundMessage(await parseMail(source), source, { inbox: 'support', attachments: [], now: 1_000 })
    expect(item).toMatchObject({
      channel: 'email',
      inbox: 'support',
      externalId: '<m3@customers.test>',
      from: { kind: 'email', address: 'ann@customers.test', name: 'Ann' },
      subject: 'Order',
      text: 'hello',
      html: '<p>hello</p>',
      inReplyTo: '<m2@customers.test>',
      references: ['<m1@customers.test>', '<m2@customers.test>'],
      // A Date in the future is not believed.
      sentAt: 1_000,
    })
  })

  it('gives mail without a Message-ID a stable id from its bytes, and an empty mail its subject as text', async () => {
    const source = Buffer.from('From: ann@customers.test\r\nSubject: Call me back\r\n\r\n')
    const item = toInboundMessage(await parseMail(source), source, { inbox: 'support', attachments: [], now: 5 })
    expect(item.externalId).toBe(fallbackMessageId(source))
    expect(item.externalId).toBe(fallbackMessageId(Buffer.from(source)))
    expect(item.text).toBe('Call me back')
  })

  it('refuses mail with no sender', async () => {
    const source = Buffer.from('Subject: who?\r\n\r\nhi\r\n')
    const mail = await parseMail(source)
    expect(() => toInboundMessage(mail, source, { inbox: 's', attachments: [], now: 1 })).toThrow('malformed mail: it has no From address')
  })
})
