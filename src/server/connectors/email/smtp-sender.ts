import { randomUUID } from 'node:crypto'
import type { Transporter } from 'nodemailer'
import type { Conversation, Identity, Message } from '../../../shared/domain'
import { stripReplyPrefixes } from '../../ingest/threading'
import type { EmailSettings } from './settings'
import type { Notice } from '../connector'
import { escapeHtml } from '../../escape-html'

export interface ReplyHeaders {
  subject: string
  inReplyTo: string | undefined
  references: string[]
}

/** Enough ancestors for any mail client to thread; the root is always kept. */
const MAX_REFERENCES = 50

const isMessageId = (id: string | null | undefined): id is string => !!id && /^<[^<>\s]+@[^<>\s]+>$/.test(id)

/**
 * The headers that make the customer's mail client file the reply under their own mail:
 * In-Reply-To names the customer's latest message, References the chain from the thread's root.
 * `thread` is the conversation's messages, oldest first.
 */
export function replyHeaders(conversation: Conversation, thread: readonly Message[], replying: Message): ReplyHeaders {
  // Date headers have one-second precision: among mails of the same second, the one ingested last is the latest.
  const sent = thread
    .filter((m) => m.id !== replying.id && m.channel === 'email' && isMessageId(m.externalId))
    .sort((a, b) => a.sentAt - b.sentAt || a.updatedAt - b.updatedAt)
  const latestInbound = sent.filter((m) => m.direction === 'inbound').at(-1)
  const chain = [...new Set([...(isMessageId(conversation.threadKey) ? [conversation.threadKey] : []), ...sent.map((m) => m.externalId as string)])]
  const references = chain.length > MAX_REFERENCES ? [chain[0] as string, ...chain.slice(-(MAX_REFERENCES - 1))] : chain
  const topic = stripReplyPrefixes(conversation.subject ?? latestInbound?.subject ?? '')
  return {
    subject: topic ? `Re: ${topic}` : 'Re: your message',
    inReplyTo: latestInbound?.externalId ?? undefined,
    references,
  }
}

export interface QuotedHistory {
  text: string
  html: string
}


/**
 * The customer's last message before the reply, quoted the way mail clients do. Added only to
 * the sent mail: the timeline keeps what the agent wrote. `thread` is the conversation's
 * messages; null when the customer has not written in it.
 */
export function quotedHistory(thread: readonly Message[], replying: Message): QuotedHistory | null {
  const last = thread
    .filter((m) => m.id !== replying.id && m.direction === 'inbound' && m.sentAt <= replying.sentAt)
    .sort((a, b) => a.sentAt - b.sentAt || a.updatedAt - b.updatedAt)
    .at(-1)
  if (!last) return null
  const date = new Date(last.sentAt).toUTCString()
  const header = `On ${date}, ${last.authorName} wrote:`
  const body = last.text.replace(/\r\n?/g, '\n').trimEnd()
  return {
    text: `${header}\n${body.split('\n').map((line) => (line ? `> ${line}` : '>')).join('\n')}`,
    html: `<p>${escapeHtml(header)}</p><blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${escapeHtml(body).replace(/\n/g, '<br>')}</blockquote>`,
  }
}

/** The mail as sent: the agent's text, then the quoted history. */
export function mailBody(message: Message, quote: QuotedHistory | null): { text: string; html?: string } {
  if (!quote) return { text: message.text, ...(message.html ? { html: message.html } : {}) }
  return {
    text: `${message.text}\n\n${quote.text}`,
    ...(message.html ? { html: `${message.html}${quote.html}` } : {}),
  }
}

/** A mail the SMTP server accepted for the customer. */
export interface SentMail {
  messageId: string
  /** Which cc addresses the server refused, and why: the customer got the mail, they did not. */
  refusedCc?: string
}

/** The server's answer per refused recipient, e.g. "boss@c.test (550 mailbox unavailable)". */
function describeRefusals(addresses: string[], errors: unknown): string {
  const responses = new Map<string, string>()
  if (Array.isArray(errors)) {
    for (const e of errors as { recipient?: unknown; response?: unknown }[]) {
      if (typeof e.recipient === 'string' && typeof e.response === 'string') responses.set(e.recipient.toLowerCase(), e.response.trim())
    }
  }
  return addresses.map((a) => (responses.has(a.toLowerCase()) ? `${a} (${responses.get(a.toLowerCase())})` : a)).join(', ')
}

/** Sends an inbox's replies through its SMTP server. */
export class SmtpSender {
  private transport: Promise<Transporter> | null = null
  private readonly domain: string

  constructor(
    private readonly smtp: EmailSettings['smtp'],
    private readonly from: EmailSettings['from'],
  ) {
    this.domain = from.address.slice(from.address.lastIndexOf('@') + 1)
  }

  /** The transport, made with the first mail sent: loading nodemailer at start would delay every server's start. */
  private connection(): Promise<Transporter> {
    const smtp = this.smtp
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        ...(smtp.user && smtp.password ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
        connectionTimeout: 30_000,
        greetingTimeout: 30_000,
        socketTimeout: 60_000,
      }),
    )
    return this.transport
  }

  /**
   * Resolves with the Message-ID once the SMTP server has accepted the mail for the recipient;
   * fails when it refuses the recipient. A refused cc does not fail the send (the customer has
   * the mail): it is reported with the result.
   */
  async send(message: Message, recipient: Identity, headers: ReplyHeaders, quote: QuotedHistory | null = null): Promise<SentMail> {
    if (recipient.kind !== 'email') throw new Error(`cannot email a ${recipient.kind} identity`)
    // Our own Message-ID, generated before sending, so the customer's answer can be threaded to it.
    const messageId = `<${randomUUID()}@${this.domain}>`
    const info = await (await this.connection()).sendMail({
      from: this.from.name ? { name: this.from.name, address: this.from.address } : this.from.address,
      to: recipient.displayName ? { name: recipient.displayName, address: recipient.address } : recipient.address,
      // The agent's chosen subject; the threading subject when the message has none.
      subject: message.subject ?? headers.subject,
      ...(message.cc && message.cc.length > 0 ? { cc: message.cc } : {}),
      ...mailBody(message, quote),
      messageId,
      ...(headers.inReplyTo ? { inReplyTo: headers.inReplyTo } : {}),
      ...(headers.references.length > 0 ? { references: headers.references } : {}),
    })
    const rejected = ((info.rejected ?? []) as unknown[]).map((r) => (typeof r === 'string' ? r : (r as { address: string }).address))
    const rejectedErrors: unknown = (info as { rejectedErrors?: unknown }).rejectedErrors
    if (rejected.some((a) => a.toLowerCase() === recipient.address.toLowerCase())) {
      throw new Error(`the SMTP server refused ${describeRefusals(rejected, rejectedErrors)}`)
    }
    if (rejected.length === 0) return { messageId }
    return { messageId, refusedCc: `the SMTP server refused cc ${describeRefusals(rejected, rejectedErrors)}; the mail went to the other recipients` }
  }

  /** A notice outside any conversation, marked automatic so that an autoresponder does not answer it. */
  async sendNotice(notice: Notice): Promise<void> {
    const info = await (await this.connection()).sendMail({
      from: this.from.name ? { name: this.from.name, address: this.from.address } : this.from.address,
      to: notice.to,
      subject: notice.subject,
      text: notice.text,
      messageId: `<${randomUUID()}@${this.domain}>`,
      headers: { 'Auto-Submitted': 'auto-generated' },
    })
    if (((info.rejected ?? []) as unknown[]).length > 0) throw new Error(`the SMTP server refused ${notice.to}`)
  }

  close(): void {
    void this.transport?.then((transport) => transport.close())
  }
}
