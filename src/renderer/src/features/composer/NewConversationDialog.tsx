import { useQuery } from '@tanstack/react-query'
import { useMemo, useState, type FormEvent } from 'react'
import type { Channel } from '../../../../shared/domain'
import type { TemplateDraft } from '../../../../shared/ipc'
import { fillTemplate, templateProblem } from '../../../../shared/inbox-settings'
import { useApi } from '../../api/context'
import { queryKeys, useCustomer, useStartConversation } from '../../api/queries'
import { Dialog } from '../../lib/Dialog'
import { CHANNEL_LABELS, useNow } from '../../lib/format'
import { useTimelinePages } from '../timeline/use-timeline-pages'
import { invalidCc, parseCc } from './composer-fields'
import { startChannels, type StartChannel } from './reply-channels'
import { chosenTemplate, TemplateFields } from './TemplateFields'

/**
 * Starts a conversation with the customer apart from the ones they have: a new matter by email
 * under its own subject, or a first SMS or WhatsApp message. Queued like any action, so it works
 * offline; `onStarted` opens the new conversation.
 */
export function NewConversationDialog({ customerId, onClose, onStarted }: { customerId: string; onClose(): void; onStarted(conversationId: string): void }) {
  const api = useApi()
  const profile = useCustomer(customerId).data
  const latest = useTimelinePages(customerId, null)
  const inboxes = useQuery({ queryKey: queryKeys.inboxSettings, queryFn: () => api.call('inbox.settings', {}), staleTime: 60_000 })
  const start = useStartConversation(customerId)
  const now = useNow(60_000)
  const [picked, setPicked] = useState<StartChannel | null>(null)
  const [pickedInbox, setPickedInbox] = useState<string | null>(null)
  const [subject, setSubject] = useState('')
  const [ccText, setCcText] = useState('')
  const [text, setText] = useState('')
  const [templateChoice, setTemplateChoice] = useState<TemplateDraft | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  // WhatsApp's window runs from the customer's last message on it in any conversation: a new one has none of its own.
  const lastInbound = useMemo(() => {
    const at: Partial<Record<Channel, number>> = {}
    for (const entry of latest.items) {
      if (entry.kind !== 'message' || entry.item.direction !== 'inbound') continue
      at[entry.item.channel] = Math.max(at[entry.item.channel] ?? 0, entry.at)
    }
    return at
  }, [latest.items])
  const options = useMemo(() => (profile ? startChannels(profile, lastInbound, now) : []), [profile, lastInbound, now])
  const usable = options.filter((o) => o.enabled)
  const option = usable.find((o) => o.channel === picked) ?? usable.find((o) => !o.templatesOnly) ?? usable[0] ?? null
  const channel = option?.channel ?? null

  const channelInboxes = (inboxes.data ?? []).filter((i) => i.channel === channel)
  // By default the inbox the customer last dealt with on the channel, as the server would pick.
  const lastUsedInbox = profile?.conversations.filter((c) => c.channel === channel).sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0]?.inbox
  const inbox =
    channelInboxes.find((i) => i.name === pickedInbox)?.name ?? channelInboxes.find((i) => i.name === lastUsedInbox)?.name ?? channelInboxes[0]?.name ?? null

  const templatesOnly = !!option?.templatesOnly
  const approved = inboxes.data ? (channelInboxes.find((i) => i.name === inbox)?.templates ?? []) : null
  const template = approved ? chosenTemplate(approved, templateChoice) : null
  const isEmail = channel === 'email'

  /** What stops the message from being sent, in words; null when it can go. */
  function whyNot(): string | null {
    if (!channel) return 'The customer cannot be reached on any channel a conversation can start on.'
    if (isEmail && subject.trim() === '') return 'A new email conversation needs a subject.'
    if (isEmail) {
      const bad = invalidCc(parseCc(ccText))
      if (bad) return `Cc: "${bad}" is not an email address.`
    }
    if (templatesOnly) {
      if (!template || !approved) return 'Choose an approved template: WhatsApp accepts only those until the customer writes.'
      const parameters = templateParameters()
      return templateProblem(inbox ?? '', approved, { name: template.name, language: template.language, parameters })
    }
    if (text.trim() === '') return 'Write the message.'
    return null
  }

  function templateParameters(): string[] {
    return template ? Array.from({ length: template.parameterCount }, (_, i) => (templateChoice?.parameters[i] ?? '').trim()) : []
  }

  function send(event: FormEvent): void {
    event.preventDefault()
    const reason = whyNot()
    setProblem(reason)
    if (reason || !channel) return
    const parameters = templateParameters()
    const cc = parseCc(ccText)
    start.mutate(
      {
        customerId,
        channel,
        // The timeline shows what the customer reads: the approved body with its parameters filled in.
        text: templatesOnly && template ? fillTemplate(template.body, parameters) : text,
        ...(inbox ? { inbox } : {}),
        ...(isEmail ? { subject: subject.trim(), ...(cc.length > 0 ? { cc } : {}) } : {}),
        ...(templatesOnly && template ? { template: { name: template.name, language: template.language, parameters } } : {}),
      },
      {
        onSuccess: ({ conversationId }) => {
          onStarted(conversationId)
          onClose()
        },
      },
    )
  }

  const error = problem ?? (start.error ? `Could not start the conversation: ${start.error.message}` : null)
  return (
    <Dialog title={`New conversation with ${profile?.customer.name ?? 'the customer'}`} onClose={onClose} className="new-conversation-dialog">
      <form className="new-conversation" onSubmit={send} noValidate>
        <div className="new-conversation-fields">
          <label className="field">
            <span>Channel</span>
            <select value={channel ?? ''} onChange={(e) => setPicked(e.target.value as StartChannel)} disabled={usable.length === 0}>
              {options.map((o) => (
                <option key={o.channel} value={o.channel} disabled={!o.enabled}>
                  {CHANNEL_LABELS[o.channel]}
                  {o.address ? ` · ${o.address}` : ''}
                  {o.reason ? ` — ${o.reason}` : ''}
                </option>
              ))}
            </select>
          </label>
          {channelInboxes.length > 1 && (
            <label className="field">
              <span>From inbox</span>
              <select value={inbox ?? ''} onChange={(e) => setPickedInbox(e.target.value)}>
                {channelInboxes.map((i) => (
                  <option key={i.name} value={i.name}>
                    {i.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          {isEmail && (
            <>
              <label className="field">
                <span>Subject</span>
                <input value={subject} onChange={(e) => setSubject(e.target.value)} maxLength={998} required aria-invalid={problem !== null && subject.trim() === ''} />
              </label>
              <label className="field">
                <span>Cc</span>
                <input value={ccText} onChange={(e) => setCcText(e.target.value)} placeholder="Optional, comma-separated" />
              </label>
            </>
          )}
          {templatesOnly ? (
            <TemplateFields approved={approved} choice={templateChoice} onChange={setTemplateChoice} />
          ) : (
            <label className="field">
              <span>Message</span>
              <textarea value={text} onChange={(e) => setText(e.target.value)} rows={4} maxLength={100_000} />
            </label>
          )}
        </div>
        {/* Outside the scrolling fields, so a short window still shows why Send did nothing. */}
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={start.isPending || !channel}>
            Send
          </button>
        </div>
      </form>
    </Dialog>
  )
}
