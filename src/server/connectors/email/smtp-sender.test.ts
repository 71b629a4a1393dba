import { simpleParser } from 'mailparser'
import { describe, expect, it } from 'vitest'
import { startSmtpCapture } from '../../../../tests/integration/support/mail-servers'
import type { Conversation, Identity, Message } from '../../../shared/domain'
import { quotedHistory, replyHeaders, SmtpSender } from './smtp-sender'

const conversation = (subject: string | null, threadKey = '<root@c.test>'): Conversation => ({
  id: 'c1', customerId: 'cu1', channel: 'email', inbox: 'support', subject, status: 'open', snoozedUntil: null,
  assigneeId: null, team: null, threadKey, labels: [], priority: 'normal', previousConversationId: null, lastMessageAt: 1, waitingSince: null, createdAt: 1, updatedAt: 1,
})

let n = 0
const message = (direction: Message['direction'], externalId: string | null, sentAt: number, updatedAt = sentAt): Message => ({
  id: `m${++n}`, conversationId: 'c1', customerId: 'cu1', channel: 'email', direction, authorId: null, authorName: 'x',
  subject: null, text: 't', html: null, attachments: [], externalId, deliveryStatus: direction === 'inbound' ? 'received' : 'sent',
  deliveryError: null, sentAt, updatedAt,
})

describe('replyHeaders', () => {
  it('answers the latest inbound mail and references the chain from the root', () => {
    const thread = [
      message('inbound', '<root@c.test>', 1),
      message('outbound', '<ours@t.test>', 2),
      message('inbound', '<late@c.test>', 3, 30),
      // Same Date second, ingested earlier: not the latest.
      message('inbound', '<early@c.test>', 3, 20),
      message('outbound', null, 4),
    ]
    const replying = message('outbound', null, 5)
    expect(replyHeaders(conversation('Order 5'), [...thread, replying], replying)).toEqual({
      subject: 'Re: Order 5',
      inReplyTo: '<late@c.test>',
      references: ['<root@c.test>', '<ours@t.test>', '<early@c.test>', '<late@c.test>'],
    })
  })

  it('never stacks Re: prefixes, and names something when there is no subject', () => {
    const replying = message('outbound', null, 1)
    expect(replyHeaders(conversation('RE: Fwd: Order 5'), [replying], replying).subject).toBe('Re: Order 5')
    expect(replyHeaders(conversation(null, 'sms-key'), [replying], replying)).toEqual({ subject: 'Re: your message', inReplyTo: undefined, references: [] })
  })

  it('keeps the root and the newest ancestors of a very long thread', () => {
    const thread = Array.from({ length: 80 }, (_, i) => message('inbound', `<m${i}@c.test>`, i + 1))
    const replying = message('outbound', null, 100)
    const { references } = replyHeaders(conversation('Long', '<m0@c.test>'), [...thread, replying], replying)
    expect(references).toHaveLength(50)
    expect(references[0]).toBe('<m0@c.test>')
    expect(references.at(-1)).toBe('<m79@c.test>')
    expect(references[1]).toBe('<m31@c.test>')
  })
})

describe('quotedHistory', () => {
  it('quotes the customer’s last message before the reply, line by line', () => {
    const first = { ...message('inbound', '<a@c.test>', Date.UTC(2025, 2, 1, 9)), authorName: 'Maya', text: 'old' }
    const last = { ...message('inbound', '<b@c.test>', Date.UTC(2025, 2, 3, 14, 5)), authorName: 'Maya Lindqvist', text: 'The shade is cracked.\n\nCan you <help>?' }
    const ours = message('outbound', '<o@t.test>', Date.UTC(2025, 2, 3, 15))
    const replying = message('outbound', null, Date.UTC(2025, 2, 4))
    const quote = quotedHistory([last, first, ours, replying], replying)
    expect(quote?.text).toBe('On Mon, 03 Mar 2025 14:05:00 GMT, Maya Lindqvist wrote:\n> The shade is cracked.\n>\n> Can you <help>?')
    expect(quote?.html).toContain('<blockquote type="cite"')
    expect(quote?.html).toContain('Can you &lt;help&gt;?')
  })

  it('quotes nothing when the customer never wrote in the conversation', () => {
    const replying = message('outbound', null, 5)
    expect(quotedHistory([message('outbound', '<o@t.test>', 1), replying], replying)).toBeNull()
  })
})

describe('SmtpSender', () => {
  it('sends under the chosen subject, with Cc, and the quoted history below the agent’s text', async () => {
    const smtp = await startSmtpCapture()
    const sender = new SmtpSender({ host: '127.0.0.1', port: smtp.port, secure: false, user: smtp.user, password: smtp.password }, { address: 'support@t.test', name: 'Support' })
    try {
      const inbound = { ...message('inbound', '<q@c.test>', Date.UTC(2025, 0, 2, 8)), authorName: 'Maya', text: 'Where is my order?' }
      const replying = { ...message('outbound', null, Date.UTC(2025, 0, 2, 9)), text: 'It ships today.', subject: 'Your order ships today', cc: ['boss@c.test', 'team@t.test'] }
      const maya: Identity = { id: 'i', customerId: 'cu1', kind: 'email', address: 'maya@c.test', displayName: 'Maya', createdAt: 1 }
      const headers = replyHeaders(conversation('Order 5'), [inbound, replying], replying)
      await sender.send(replying, maya, headers, quotedHistory([inbound, replying], replying))
      expect(smtp.received).toHaveLength(1)
      expect([...smtp.received[0]!.to].sort()).toEqual(['boss@c.test', 'maya@c.test', 'team@t.test'])
      const mail = await simpleParser(smtp.received[0]!.raw)
      expect(mail.subject).toBe('Your order ships today')
      expect(mail.cc && !Array.isArray(mail.cc) ? mail.cc.value.map((a) => a.address) : []).toEqual(['boss@c.test', 'team@t.test'])
      expect(mail.inReplyTo).toBe('<q@c.test>')
      expect(mail.text).toBe('It ships today.\n\nOn Thu, 02 Jan 2025 08:00:00 GMT, Maya wrote:\n> Where is my order?\n')
    } finally {
      sender.close()
      await smtp.close()
    }
  })

  it('sends to the customer when the server refuses a cc, and names the refused address; a refused customer fails the send', async () => {
    const smtp = await startSmtpCapture()
    const sender = new SmtpSender({ host: '127.0.0.1', port: smtp.port, secure: false, user: smtp.user, password: smtp.password }, { address: 'support@t.test' })
    const maya: Identity = { id: 'i', customerId: 'cu1', kind: 'email', address: 'maya@c.test', displayName: null, createdAt: 1 }
    const replying = { ...message('outbound', null, 1), cc: ['boss@c.test', 'team@t.test'] }
    const headers = replyHeaders(conversation('Order 5'), [replying], replying)
    try {
      smtp.refuseNext('boss@c.test')
      const sent = await sender.send(replying, maya, headers)
      expect(sent.messageId).toMatch(/@t\.test>$/)
      expect(sent.refusedCc).toMatch(/^the SMTP server refused cc boss@c\.test \(550 .*\)/)
      expect([...smtp.received[0]!.to].sort()).toEqual(['maya@c.test', 'team@t.test'])

      const plain = await sender.send({ ...replying, cc: [] }, maya, headers)
      expect(plain.refusedCc).toBeUndefined()

      smtp.refuseNext('maya@c.test')
      await expect(sender.send(replying, maya, headers)).rejects.toThrow(/refused maya@c\.test \(550 /)
    } finally {
      sender.close()
      await smtp.close()
    }
  })
})
