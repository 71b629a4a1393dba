import path from 'node:path'
import type { ParsedMail } from 'mailparser'
import type { Identity, Message } from '../../../shared/domain'
import { BadRequestError } from '../../errors'
import { DeferredIngestError } from '../../ingest/inbound-service'
import type { StoreReader } from '../../store/store'
import type { Connector, ConnectorContext, ConnectorDefinition, ConnectorServerSettings, InboxSettings } from '../connector'
import { registerAttachmentRoute } from './attachment-route'
import { AttachmentStore } from './attachment-store'
import { dmarcResult } from './authentication-results'
import { ImapReceiver } from './imap-receiver'
import { classifyMail, MalformedMailError, parseMail, senderAddress, toInboundMessage, type MailKind, type StoredPart } from './inbound-mail'
import { quotedHistory, replyHeaders, SmtpSender } from './smtp-sender'
import { EmailSettings } from './settings'

export const EMAIL_CONNECTOR_TYPE = 'imap-smtp'

/** The folder, beside the database, that holds every email inbox's attachment files. */
export const attachmentsDir = (dataDir: string): string => path.join(dataDir, 'attachments')

/** Every message of a conversation, oldest first. */
async function conversationMessages(store: StoreReader, conversationId: string): Promise<Message[]> {
  const all: Message[] = []
  let after: string | undefined
  do {
    const page = await store.listMessages(conversationId, 500, after)
    all.push(...page.items)
    after = page.next ?? undefined
  } while (after)
  return all
}

/**
 * An email inbox: IMAP in (IDLE, reconnecting), SMTP out. Inbound mail is parsed, sorted
 * into customer mail, automatic replies and bounces, and customer mail is ingested with its
 * attachments stored beside the database.
 */
export function createEmailConnector(inbox: InboxSettings, settings: EmailSettings, server: ConnectorServerSettings): Connector {
  const name = `${EMAIL_CONNECTOR_TYPE}:${inbox.name}`
  const files = new AttachmentStore(attachmentsDir(server.dataDir), settings.attachments.maxBytes)
  let context: ConnectorContext | null = null
  let receiver: ImapReceiver | null = null
  let releaseMailbox: (() => Promise<void>) | null = null
  let sender: SmtpSender | null = null

  const running = (): ConnectorContext => {
    if (!context) throw new Error(`connector ${name} is not running`)
    return context
  }

  async function handleMail(raw: Buffer, uid: number): Promise<void> {
    const { log } = running()
    let mail: ParsedMail
    try {
      mail = await parseMail(raw)
    } catch (err) {
      log.warn({ inbox: inbox.name, uid, error: (err as Error).message }, 'email skipped: it cannot be parsed (it stays in the mailbox)')
      return
    }
    if (senderAddress(mail)?.address.toLowerCase() === settings.from.address.toLowerCase()) {
      // A copy of our own reply, or a colleague writing from the shared mailbox: not a customer.
      log.info({ inbox: inbox.name, uid, messageId: mail.messageId }, 'email from the inbox\'s own address ignored')
      return
    }
    const kind = classifyMail(mail)
    if (kind.kind === 'bounce') return handleBounce(mail, kind, uid)
    if (kind.kind === 'auto-reply') {
      log.info(
        { inbox: inbox.name, uid, messageId: mail.messageId, from: senderAddress(mail)?.address, reason: kind.reason },
        'automatic reply ignored: not a customer message',
      )
      return
    }
    await ingestCustomerMail(mail, raw, uid)
  }

  async function ingestCustomerMail(mail: ParsedMail, raw: Buffer, uid: number): Promise<void> {
    const ctx = running()
    if (!senderAddress(mail)) {
      ctx.log.warn({ inbox: inbox.name, uid, messageId: mail.messageId }, 'email skipped: malformed, it has no From address (it stays in the mailbox)')
      return
    }
    // Files first: the message that names them is committed after, so its links never dangle.
    const attachments: StoredPart[] = mail.attachments.map((a, i) => ({
      attachment: files.save(a.content, {
        name: a.filename ?? `attachment-${i + 1}`,
        contentType: a.contentType || 'application/octet-stream',
        inbox: inbox.name,
      }),
      contentId: a.contentId ?? a.cid,
    }))
    try {
      const dmarc = settings.authservId ? dmarcResult(mail, settings.authservId) : undefined
      await ctx.ingest(toInboundMessage(mail, raw, { inbox: inbox.name, attachments, now: Date.now(), ...(dmarc ? { dmarc } : {}) }))
    } catch (err) {
      if (err instanceof MalformedMailError || err instanceof BadRequestError) {
        ctx.log.warn({ inbox: inbox.name, uid, messageId: mail.messageId, error: err.message }, 'email skipped: malformed (it stays in the mailbox)')
        return
      }
      // Durable in the dead-letter table and retried there: the mailbox can move on.
      if (err instanceof DeferredIngestError) return
      throw err
    }
  }

  /** A bounce of one of our replies marks that reply failed, with the server's reason. */
  async function handleBounce(mail: ParsedMail, bounce: Extract<MailKind, { kind: 'bounce' }>, uid: number): Promise<void> {
    const ctx = running()
    const failed: string[] = []
    for (const id of bounce.bouncedMessageIds) {
      const original = await ctx.store.messageByExternalId('email', id)
      if (!original || original.direction !== 'outbound') continue
      await ctx.reportDelivery(original.id, { status: 'failed', error: `bounced: ${bounce.diagnostic ?? bounce.reason}`.slice(0, 2000) })
      failed.push(original.id)
    }
    ctx.log.info(
      { inbox: inbox.name, uid, messageId: mail.messageId, reason: bounce.reason, failedMessages: failed },
      failed.length > 0 ? 'bounce recorded: the reply it names is marked failed' : 'bounce ignored: it names no message this server sent',
    )
  }

  return {
    name,
    inbox: inbox.name,
    channels: ['email'],
    registerRoutes(app) {
      registerAttachmentRoute(app, files, () => context?.auth ?? null)
    },
    async start(ctx) {
      context = ctx
      sender = new SmtpSender(settings.smtp, settings.from)
      receiver = new ImapReceiver({
        settings: settings.imap,
        reconnect: settings.reconnect,
        stateOwner: name,
        store: ctx.store,
        log: ctx.log,
        handle: handleMail,
      })
      const mailbox = receiver
      if (ctx.leases) {
        // Two nodes reading one mailbox would both ingest (and race on the cursor): one node at a
        // time reads it. The cursor is in the store, so whichever node wins it next carries on
        // where the last one stopped.
        releaseMailbox = ctx.leases.hold(`imap:${inbox.name}`, {
          start: async () => mailbox.start(),
          stop: () => mailbox.stop(),
        })
      } else {
        // Not awaited: an unreachable mail server must not keep the rest of the server from starting.
        mailbox.start()
      }
    },
    async stop() {
      await releaseMailbox?.()
      releaseMailbox = null
      await receiver?.stop()
      sender?.close()
      receiver = null
      sender = null
      context = null
    },
    async sendNotice(notice) {
      running()
      if (!sender) throw new Error(`connector ${name} is not running`)
      await sender.sendNotice(notice)
    },
    async send(message: Message, recipient: Identity) {
      const ctx = running()
      if (!sender) throw new Error(`connector ${name} is not running`)
      const conversation = await ctx.store.getConversation(message.conversationId)
      if (!conversation) throw new Error(`message ${message.id} belongs to unknown conversation ${message.conversationId}`)
      const thread = await conversationMessages(ctx.store, conversation.id)
      const headers = replyHeaders(conversation, thread, message)
      const sent = await sender.send(message, recipient, headers, quotedHistory(thread, message))
      return { externalId: sent.messageId, ...(sent.refusedCc ? { refused: sent.refusedCc } : {}) }
    },
  }
}

export const emailConnectorDefinition: ConnectorDefinition<typeof EmailSettings> = {
  type: EMAIL_CONNECTOR_TYPE,
  channels: ['email'],
  settings: EmailSettings,
  create: createEmailConnector,
}
