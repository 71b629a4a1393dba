import { createHash } from 'node:crypto'
import type { ParsedMail } from 'mailparser'
import type { Attachment } from '../../../shared/domain'
import type { InboundMessage } from '../../../shared/ingest'
import type { DmarcResult } from './authentication-results'

/** What an incoming mail is to the inbox: a customer writing, or a machine answering. */
export type MailKind =
  | { kind: 'customer' }
  /** Out-of-office notes, autoresponders, read receipts, bulk mail: nobody is waiting for an answer. */
  | { kind: 'auto-reply'; reason: string }
  /** A delivery failure report; names the Message-IDs of the mail that bounced, when it can. */
  | { kind: 'bounce'; reason: string; bouncedMessageIds: string[]; diagnostic: string | null }

export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  // Loaded with the first mail, not at start: the parser and its charset tables take ~200 ms to load.
  const { simpleParser } = await import('mailparser')
  // cid: links stay as they are, to be pointed at the stored inline images (not inlined as data: URIs).
  return simpleParser(raw, { keepCidLinks: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true })
}

function headerText(mail: ParsedMail, name: string): string {
  const text = (value: unknown): string => {
    if (typeof value === 'string') return value
    if (Array.isArray(value)) return value.map(text).join(', ')
    if (value instanceof Date) return value.toISOString()
    if (value && typeof value === 'object') {
      const v = value as { value?: unknown; text?: unknown }
      if (typeof v.value === 'string') return v.value
      if (typeof v.text === 'string') return v.text
    }
    return ''
  }
  return text(mail.headers.get(name))
}

function contentType(mail: ParsedMail): { value: string; params: Record<string, string> } {
  const header = mail.headers.get('content-type') as { params?: unknown } | undefined
  const params = header && typeof header === 'object' && header.params && typeof header.params === 'object' ? (header.params as Record<string, string>) : {}
  return { value: headerText(mail, 'content-type').toLowerCase(), params }
}

export function senderAddress(mail: ParsedMail): { address: string; name: string } | null {
  const first = mail.from?.value.find((a) => a.address)
  return first?.address ? { address: first.address, name: first.name } : null
}

const SYSTEM_SENDERS = /^(mailer-daemon|postmaster|mail-daemon)@/i
const AUTO_SUBJECTS = /(^|\b)(out of (the )?office|automatic reply|auto[- ]?reply|autoresponse|abwesenheitsnotiz|réponse automatique|respuesta automática)\b/i
const BOUNCE_SUBJECTS = /^(undeliver(ed|able)|delivery (status notification|failure|has failed)|returned mail|mail delivery failed|failure notice)/i
const MESSAGE_ID = /^message-id:\s*(<[^>\s]+>)/im

/**
 * Decides whether a mail is a customer's or a machine's. Bounces are checked first: they often
 * carry Auto-Submitted too, and unlike other automatic mail they say something about our sends.
 */
export function classifyMail(mail: ParsedMail): MailKind {
  const type = contentType(mail)
  const from = senderAddress(mail)?.address ?? ''
  const subject = mail.subject ?? ''
  const reportType = (type.params['report-type'] ?? '').toLowerCase()

  const bounceReason =
    type.value === 'multipart/report' && reportType === 'delivery-status'
      ? 'multipart/report delivery-status'
      : SYSTEM_SENDERS.test(from)
        ? `sent by ${from}`
        : mail.headers.has('x-failed-recipients')
          ? 'X-Failed-Recipients header'
          : headerText(mail, 'auto-submitted') && BOUNCE_SUBJECTS.test(subject)
            ? `automatic "${subject}"`
            : null
  if (bounceReason) {
    return { kind: 'bounce', reason: bounceReason, bouncedMessageIds: bouncedMessageIds(mail), diagnostic: diagnosticOf(mail) }
  }

  if (type.value === 'multipart/report' && reportType === 'disposition-notification') {
    return { kind: 'auto-reply', reason: 'read receipt (disposition-notification)' }
  }
  const autoSubmitted = headerText(mail, 'auto-submitted').trim().toLowerCase()
  if (autoSubmitted && autoSubmitted !== 'no') return { kind: 'auto-reply', reason: `Auto-Submitted: ${autoSubmitted}` }
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder']) {
    if (mail.headers.has(name)) return { kind: 'auto-reply', reason: `${name} header` }
  }
  const precedence = headerText(mail, 'precedence').trim().toLowerCase()
  if (['bulk', 'junk', 'auto_reply', 'auto-reply'].includes(precedence)) return { kind: 'auto-reply', reason: `Precedence: ${precedence}` }
  if (AUTO_SUBJECTS.test(subject)) return { kind: 'auto-reply', reason: `subject "${subject}"` }
  return { kind: 'customer' }
}

/** The Message-IDs a bounce reports on: from the returned message or its headers, else its own threading headers. */
function bouncedMessageIds(mail: ParsedMail): string[] {
  const ids = new Set<string>()
  for (const a of mail.attachments) {
    if (!/^(message\/rfc822|text\/rfc822-headers|message\/rfc822-headers|message\/global)/i.test(a.contentType)) continue
    const id = MESSAGE_ID.exec(a.content.toString('utf8'))?.[1]
    if (id) ids.add(id)
  }
  const id = MESSAGE_ID.exec(mail.text ?? '')?.[1]
  if (id) ids.add(id)
  if (mail.inReplyTo) ids.add(mail.inReplyTo)
  for (const r of referencesOf(mail)) ids.add(r)
  return [...ids]
}

function diagnosticOf(mail: ParsedMail): string | null {
  const text = mail.text ?? ''
  const line = /^diagnostic-code:\s*(?:smtp;\s*)?(.+)$/im.exec(text)?.[1] ?? /^status:\s*(\d\.\d+\.\d+.*)$/im.exec(text)?.[1]
  return line?.trim().slice(0, 500) ?? null
}

function referencesOf(mail: ParsedMail): string[] {
  const refs = mail.references
  return refs === undefined ? [] : Array.isArray(refs) ? refs : refs.split(/\s+/).filter(Boolean)
}

/** A stable id for mail without a Message-ID, so fetching it again is still a duplicate. */
export function fallbackMessageId(raw: Buffer): string {
  return `<sha256-${createHash('sha256').update(raw).digest('hex')}@threadline.invalid>`
}

const MAX_REFERENCES = 200
const MAX_TEXT = 1_000_000
const MAX_HTML = 5_000_000

export interface StoredPart {
  attachment: Attachment
  contentId: string | undefined
}

/**
 * The normalized inbound item for a customer's mail. `attachments` are already stored; inline
 * images referenced as cid: in the HTML are pointed at their stored copies.
 */
export function toInboundMessage(
  mail: ParsedMail,
  raw: Buffer,
  options: { inbox: string; attachments: StoredPart[]; now: number; dmarc?: DmarcResult },
): InboundMessage {
  const sender = senderAddress(mail)
  if (!sender) throw new MalformedMailError('it has no From address')
  let html = typeof mail.html === 'string' && mail.html.trim() ? mail.html : undefined
  if (html) {
    for (const { attachment, contentId } of options.attachments) {
      if (!contentId || !attachment.url) continue
      const cid = contentId.replace(/^<|>$/g, '')
      html = html.split(`cid:${cid}`).join(attachment.url)
    }
  }
  const references = referencesOf(mail)
  // Keep the root (threading falls back to it) and the most recent ancestors.
  const keptReferences = references.length > MAX_REFERENCES ? [references[0] as string, ...references.slice(-(MAX_REFERENCES - 1))] : references
  const attachments = options.attachments.map((p) => p.attachment)
  let text = (mail.text ?? '').slice(0, MAX_TEXT)
  // An empty mail is still a customer writing (often all in the subject): it must not be refused.
  if (!text.trim() && !html && attachments.length === 0) text = mail.subject?.trim() || '(empty message)'
  const date = mail.date?.getTime()
  return {
    channel: 'email',
    inbox: options.inbox,
    externalId: (mail.messageId ?? fallbackMessageId(raw)).slice(0, 998),
    from: {
      kind: 'email',
      address: sender.address,
      ...(sender.name ? { name: sender.name.slice(0, 200) } : {}),
      // Anyone can write any From:; a domain's DMARC policy saying this mail is not theirs makes it a mere claim.
      ...(options.dmarc === 'fail' ? { unverified: 'failed_dmarc' as const } : {}),
    },
    subject: mail.subject?.slice(0, 998),
    text,
    // Beyond what the item may carry, the start of it still tells the server to keep the text and say why.
    html: html?.slice(0, MAX_HTML),
    attachments,
    inReplyTo: mail.inReplyTo?.slice(0, 998),
    references: keptReferences.map((r) => r.slice(0, 998)),
    // A Date header in the future (a wrong clock) would pin the message above newer ones.
    sentAt: date !== undefined && Number.isFinite(date) && date > 0 ? Math.min(date, options.now) : options.now,
  }
}

/** A mail that cannot become a message (no sender to answer to); it stays in the mailbox. */
export class MalformedMailError extends Error {
  constructor(reason: string) {
    super(`malformed mail: ${reason}`)
    this.name = 'MalformedMailError'
  }
}
