import { z } from 'zod'
import type { Attachment } from '../../../shared/domain'

/** The WhatsApp Cloud API webhook, as far as we read it; unknown fields are allowed and ignored. */

const Media = z.looseObject({
  id: z.string().min(1),
  mime_type: z.string().min(1).optional(),
  filename: z.string().optional(),
  caption: z.string().optional(),
})

export const WhatsAppInbound = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: z.coerce.number().int().nonnegative(),
  type: z.string().min(1),
  text: z.looseObject({ body: z.string() }).optional(),
  image: Media.optional(),
  document: Media.optional(),
  audio: Media.optional(),
  video: Media.optional(),
  sticker: Media.optional(),
  location: z.looseObject({ latitude: z.number(), longitude: z.number(), name: z.string().optional(), address: z.string().optional() }).optional(),
  button: z.looseObject({ text: z.string() }).optional(),
  interactive: z
    .looseObject({
      button_reply: z.looseObject({ title: z.string() }).optional(),
      list_reply: z.looseObject({ title: z.string() }).optional(),
    })
    .optional(),
  reaction: z.looseObject({ emoji: z.string().optional() }).optional(),
})
export type WhatsAppInbound = z.output<typeof WhatsAppInbound>

export const WhatsAppStatus = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  recipient_id: z.string().optional(),
  errors: z
    .array(z.looseObject({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional() }))
    .optional(),
})
export type WhatsAppStatus = z.output<typeof WhatsAppStatus>

export const WhatsAppWebhook = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.looseObject({
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.looseObject({ phone_number_id: z.string().min(1) }).optional(),
            contacts: z.array(z.looseObject({ wa_id: z.string(), profile: z.looseObject({ name: z.string().optional() }).optional() })).optional(),
            messages: z.array(WhatsAppInbound).optional(),
            statuses: z.array(WhatsAppStatus).optional(),
          }),
        }),
      ),
    }),
  ),
})
export type WhatsAppWebhook = z.output<typeof WhatsAppWebhook>

const MEDIA_TYPES = ['image', 'document', 'audio', 'video', 'sticker'] as const

/**
 * The message's text and attachments. Media stays at Meta: `url` is the Graph API node that
 * yields a download link to whoever holds the access token (the server), sizes are not sent.
 */
export function contentOf(m: WhatsAppInbound, mediaNode: (id: string) => string): { text: string; attachments: Attachment[] } {
  const attachments: Attachment[] = []
  let text = m.text?.body ?? ''
  for (const kind of MEDIA_TYPES) {
    const media = m[kind]
    if (!media) continue
    const contentType = media.mime_type?.split(';')[0]?.trim() || 'application/octet-stream'
    attachments.push({ name: media.filename ?? `${kind}-${media.id}`, contentType, size: 0, url: mediaNode(media.id) })
    if (media.caption) text = media.caption
  }
  if (!text && attachments.length === 0) text = describe(m)
  return { text, attachments }
}

/** Message types without text or media still reach the agent, as a readable line. */
function describe(m: WhatsAppInbound): string {
  if (m.location) {
    const place = [m.location.name, m.location.address].filter(Boolean).join(', ')
    return `Shared a location: ${m.location.latitude}, ${m.location.longitude}${place ? ` (${place})` : ''}`
  }
  if (m.button) return m.button.text
  if (m.interactive?.button_reply) return m.interactive.button_reply.title
  if (m.interactive?.list_reply) return m.interactive.list_reply.title
  if (m.reaction) return m.reaction.emoji ? `Reacted ${m.reaction.emoji}` : 'Removed a reaction'
  return `[WhatsApp ${m.type} message: this type cannot be shown here]`
}
