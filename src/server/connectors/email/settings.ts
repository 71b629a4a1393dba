import { z } from 'zod'

const Host = z.string().trim().min(1, 'a host name or address is required')
const Port = z.number().int().min(1).max(65535)

export const ImapSettings = z.strictObject({
  host: Host,
  port: Port,
  /** true: TLS from the first byte (port 993); false: STARTTLS when the server offers it. */
  secure: z.boolean(),
  user: z.string().min(1),
  password: z.string().min(1),
  mailbox: z.string().trim().min(1).default('INBOX'),
})

export const SmtpSettings = z
  .strictObject({
    host: Host,
    port: Port,
    /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
    secure: z.boolean(),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
  })
  .refine((s) => (s.user === undefined) === (s.password === undefined), {
    message: 'give both user and password, or neither (a relay that needs no login)',
  })

export const DEFAULT_ATTACHMENT_LIMIT = 25 * 1024 * 1024

/** The `connector` settings of an inbox of type `imap-smtp` (secrets included: they stay on the server). */
export const EmailSettings = z.strictObject({
  imap: ImapSettings,
  smtp: SmtpSettings,
  /** The inbox's own address: replies go out from it. */
  from: z.strictObject({
    address: z.email(),
    name: z.string().trim().min(1).max(200).optional(),
  }),
  attachments: z
    .strictObject({
      /** Larger attachments are listed on the message without a copy (url null, with a note). */
      maxBytes: z.number().int().positive().default(DEFAULT_ATTACHMENT_LIMIT),
    })
    .prefault({}),
  /**
   * The authserv-id your receiving mail server writes in the Authentication-Results header it
   * adds (its host name, e.g. "mx.example.com"). With it, mail whose sender failed DMARC is
   * marked and never linked to a known customer by its From: alone; headers naming any other
   * authserv-id are ignored, since anyone can write one into a mail.
   */
  authservId: z.string().trim().min(1).max(255).optional(),
  /** Delay before reconnecting to IMAP after the server dropped the connection; doubles up to the max. */
  reconnect: z
    .strictObject({
      initialDelayMs: z.number().int().min(10).default(1_000),
      maxDelayMs: z.number().int().min(10).default(60_000),
    })
    .prefault({}),
})
export type EmailSettings = z.output<typeof EmailSettings>
