import { EditorContent, Extension, useEditor, type JSONContent } from '@tiptap/react'
import StarterKit from '@tiptap/starter-kit'
import { useQuery } from '@tanstack/react-query'
import { useEffect, useMemo, useRef, useState, type RefObject } from 'react'
import type { CallOutcome, Channel, Conversation, Direction } from '../../../../shared/domain'
import { fillTemplate, templateProblem } from '../../../../shared/inbox-settings'
import type { ComposerDraft, TemplateDraft } from '../../../../shared/ipc'
import { useApi } from '../../api/context'
import { queryKeys, useCustomer, useLogCall, useNote, useReply, useSession, useUsers } from '../../api/queries'
import { CHANNEL_LABELS, useNow } from '../../lib/format'
import { ChannelIcon, Icon } from '../../lib/icons'
import { smsSegments } from '../../lib/sms'
import { useTimelinePages } from '../timeline/use-timeline-pages'
import { fillCannedVariables, unfilledPlaceholders } from './canned'
import { defaultSubject, invalidCc, parseCc, parseDuration } from './composer-fields'
import { InsertPicker, type CaretBox, type PickerOption } from './InsertPicker'
import { mentionedIds } from './mentions'
import { defaultReplyChannel, replyChannels, type ReplyChannel, type ReplyChannelOption } from './reply-channels'
import { chosenTemplate, TemplateFields } from './TemplateFields'

function SegmentCounter({ text }: { text: string }) {
  const { segments, remaining, encoding } = smsSegments(text)
  return (
    <span className={`segment-counter${segments > 1 ? ' is-multi' : ''}`} data-testid="sms-segments" title={`${encoding} encoding`} aria-live="polite">
      {segments} SMS · {remaining} left
    </span>
  )
}

type Mode = 'reply' | 'note' | 'call'

const CALL_OUTCOMES: CallOutcome[] = ['answered', 'missed', 'voicemail', 'failed']
type PickerKind = 'canned' | 'mention'
/** The picker open, and for a mention the caret it belongs to (viewport coordinates). */
type Picker = { kind: PickerKind; caret: CaretBox | null } | null

/** How long typing must pause before the draft is written to the cache. */
const DRAFT_SAVE_DELAY_MS = 400

/** Asks the composer to open a picker; the editor's keys cannot reach React state directly. */
const OPEN_PICKER = 'threadline:open-picker'

/** Asks the composer around the editor to open a picker: the event bubbles up to its form. */
function openPicker(dom: HTMLElement, picker: NonNullable<Picker>): boolean {
  dom.dispatchEvent(new CustomEvent(OPEN_PICKER, { detail: picker, bubbles: true }))
  return true
}

/** What the reply or note held while the agent writes call notes, so neither takes over the other. */
interface SetAside {
  mode: Mode
  doc: JSONContent
  text: string
}

const ComposerKeys = Extension.create({
  name: 'threadlineComposerKeys',
  addKeyboardShortcuts() {
    return {
      // Mod-Enter submits the composer's form, the same path as the Send button.
      'Mod-Enter': () => {
        this.editor.view.dom.closest('form')?.requestSubmit()
        return true
      },
      // Escape hands the keyboard back to the workspace shortcuts; the draft stays.
      Escape: () => {
        this.editor.commands.blur()
        document.querySelector<HTMLElement>('.inbox-list')?.focus()
        return true
      },
      'Mod-Shift-k': () => openPicker(this.editor.view.dom, { kind: 'canned', caret: null }),
      // "/" at the start of a line opens the canned responses; anywhere else it is a slash.
      '/': () => this.editor.state.selection.$from.parentOffset === 0 && openPicker(this.editor.view.dom, { kind: 'canned', caret: null }),
      // "@" mentions an agent in an internal note; in a reply to the customer it is just "@".
      // The list opens where the name will go, as a mention list does in any editor.
      '@': () =>
        this.editor.view.dom.classList.contains('is-note') &&
        openPicker(this.editor.view.dom, { kind: 'mention', caret: this.editor.view.coordsAtPos(this.editor.state.selection.from) }),
    }
  },
})

/** Lets the keyboard shortcuts (r, n) open the composer in a mode and put the cursor in it. */
export interface ComposerHandle {
  focus(mode: Mode): void
}

/** Plain lines as editor paragraphs, so inserted text keeps its line breaks. */
function paragraphs(text: string): JSONContent[] {
  return text.split('\n').map((line) => ({ type: 'paragraph', ...(line ? { content: [{ type: 'text', text: line }] } : {}) }))
}

export function Composer({
  customerId,
  conversation,
  handleRef,
}: {
  customerId: string
  /** The conversation the workspace has open; drafts are kept per conversation. */
  conversation: Conversation
  handleRef?: RefObject<ComposerHandle | null>
}) {
  const api = useApi()
  const [mode, setMode] = useState<Mode>('reply')
  const [pickedChannel, setPickedChannel] = useState<ReplyChannel | null>(null)
  const [empty, setEmpty] = useState(true)
  const [plainText, setPlainText] = useState('')
  const [picker, setPicker] = useState<Picker>(null)
  const reply = useReply(customerId)
  const note = useNote(customerId)
  const logCall = useLogCall(customerId)
  // null: the default subject of the conversation the reply goes to.
  const [subject, setSubject] = useState<string | null>(null)
  const [ccText, setCcText] = useState('')
  const [templateChoice, setTemplateChoice] = useState<TemplateDraft | null>(null)
  const [callDirection, setCallDirection] = useState<Direction>('outbound')
  const [callOutcome, setCallOutcome] = useState<CallOutcome>('answered')
  const [callDuration, setCallDuration] = useState('')
  const profile = useCustomer(customerId).data
  const latest = useTimelinePages(customerId, null)
  const session = useSession().data
  const users = useUsers().data
  const canned = useQuery({ queryKey: ['canned'], queryFn: () => api.call('canned.list', {}), staleTime: 60_000 })
  const inboxes = useQuery({ queryKey: queryKeys.inboxSettings, queryFn: () => api.call('inbox.settings', {}), staleTime: 60_000 })
  const now = useNow(60_000)

  // The customer's latest inbound message per channel in this conversation, from the timeline
  // page already loaded: the WhatsApp window runs from their last WhatsApp message in it.
  const lastInbound = useMemo(() => {
    const at: Partial<Record<Channel, number>> = {}
    for (const entry of latest.items) {
      if (entry.kind !== 'message' || entry.item.direction !== 'inbound' || entry.item.conversationId !== conversation.id) continue
      at[entry.item.channel] = Math.max(at[entry.item.channel] ?? 0, entry.at)
    }
    return at
  }, [latest.items, conversation.id])
  const options: ReplyChannelOption[] = useMemo(() => (profile ? replyChannels(profile, conversation, lastInbound, now) : []), [profile, conversation, lastInbound, now])
  // The reply stays in the conversation on screen, by the channel picked or the one the customer last used in it.
  // A draft's channel that can no longer take a reply (an opt-out since) gives way to that default.
  const picked = options.find((o) => o.channel === pickedChannel && o.enabled)?.channel
  const channel: ReplyChannel | null = picked ?? defaultReplyChannel(options, conversation, lastInbound)
  const option = options.find((o) => o.channel === channel) ?? null
  const canReply = !!option?.enabled && channel !== null
  const templatesOnly = canReply && !!option?.templatesOnly
  // The server sends WhatsApp from the inbox this conversation last used on it, else the customer's latest one.
  const whatsappInboxes = (inboxes.data ?? []).filter((i) => i.channel === 'whatsapp')
  const latestWhatsApp = conversation.channel === 'whatsapp' ? conversation : profile?.conversations.filter((c) => c.channel === 'whatsapp').sort((a, b) => b.lastMessageAt - a.lastMessageAt)[0]
  const templateInbox = latestWhatsApp?.inbox ?? (whatsappInboxes.length === 1 ? whatsappInboxes[0]!.name : null)
  const approved = inboxes.data === undefined || inboxes.data === null ? null : (inboxes.data.find((i) => i.name === templateInbox)?.templates ?? [])
  const template = approved ? chosenTemplate(approved, templateChoice) : null
  const outboundTemplate = template
    ? { name: template.name, language: template.language, parameters: Array.from({ length: template.parameterCount }, (_, i) => (templateChoice?.parameters[i] ?? '').trim()) }
    : null
  const effectiveMode: Mode = canReply || mode !== 'reply' ? mode : 'note'
  const isEmail = effectiveMode === 'reply' && channel === 'email'
  const shownSubject = subject ?? defaultSubject(conversation.subject)
  const ccList = parseCc(ccText)
  const badCc = isEmail ? invalidCc(ccList) : null
  const duration = parseDuration(callDuration)
  // A placeholder left in a reply (a canned response's value the app did not have) must not reach the customer.
  const unfilled = effectiveMode === 'reply' && !templatesOnly ? unfilledPlaceholders(plainText) : []
  const ready =
    effectiveMode === 'call'
      ? duration !== null
      : effectiveMode === 'reply' && templatesOnly
        ? approved !== null && outboundTemplate !== null && templateProblem(templateInbox ?? '', approved, outboundTemplate) === null
        : !empty && unfilled.length === 0 && !(isEmail && (shownSubject.trim() === '' || badCc !== null))

  const draftTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const pendingDraft = useRef<(() => void) | null>(null)
  const restored = useRef(false)
  // Call notes are not the reply: whichever the agent is not writing waits here.
  const setAside = useRef<SetAside | null>(null)

  const editor = useEditor({
    extensions: [StarterKit.configure({ heading: false, codeBlock: false, horizontalRule: false, link: { openOnClick: false } }), ComposerKeys],
    // The CSP forbids inline <style>; the editor's base CSS lives in app.css instead.
    injectCSS: false,
    immediatelyRender: true,
    editorProps: { attributes: editorAttributes(effectiveMode) },
    onUpdate: ({ editor: e }) => {
      const text = e.getText({ blockSeparator: '\n' })
      setEmpty(text.trim().length === 0)
      setPlainText(text)
      scheduleDraft()
    },
  })

  useEffect(() => {
    editor?.setOptions({ editorProps: { attributes: editorAttributes(effectiveMode) } })
  }, [editor, effectiveMode])

  /** Shows what the editor now holds in the placeholder, the send button and the SMS counter. */
  function editorChanged(): void {
    const text = editor?.getText({ blockSeparator: '\n' }) ?? ''
    setEmpty(text.trim().length === 0)
    setPlainText(text)
  }

  /** Changes mode; going into or out of a call swaps the editor's text with what was set aside. */
  function switchMode(next: Mode): void {
    if (editor && (effectiveMode === 'call') !== (next === 'call')) {
      const current: SetAside = { mode: effectiveMode, doc: editor.getJSON(), text: editor.getText({ blockSeparator: '\n' }) }
      editor.commands.setContent(setAside.current?.doc ?? '', { emitUpdate: false })
      setAside.current = current
      editorChanged()
    }
    setMode(next)
    scheduleDraft({ mode: next })
  }

  // Restores the draft once, then writes changes back; a pending write goes out on unmount
  // so switching conversations mid-sentence loses nothing.
  useEffect(() => {
    let cancelled = false
    void api.call('draft.get', { conversationId: conversation.id }).then((draft) => {
      if (cancelled || !editor || !draft) return
      editor.commands.setContent(draft.doc as JSONContent, { emitUpdate: false })
      const text = editor.getText({ blockSeparator: '\n' })
      setEmpty(text.trim().length === 0)
      setPlainText(text)
      setMode(draft.mode)
      if (draft.channel && draft.channel !== 'voice') setPickedChannel(draft.channel)
      setSubject(draft.subject ?? null)
      setCcText(draft.cc ?? '')
      setTemplateChoice(draft.template ?? null)
    }).finally(() => {
      restored.current = true
    })
    return () => {
      cancelled = true
      if (draftTimer.current) clearTimeout(draftTimer.current)
      pendingDraft.current?.()
    }
  }, [api, editor, conversation.id])

  const draftState = useRef({ mode, pickedChannel, subject, ccText, templateChoice })
  useEffect(() => {
    draftState.current = { mode, pickedChannel, subject, ccText, templateChoice }
  })
  /** Writes the draft once typing pauses; `changed` carries a field set in this event, before React re-renders. */
  function scheduleDraft(changed: Partial<typeof draftState.current> = {}): void {
    draftState.current = { ...draftState.current, ...changed }
    if (!editor || !restored.current) return
    const write = () => {
      pendingDraft.current = null
      draftTimer.current = null
      const { mode: m, pickedChannel: c, subject: subj, ccText: cc, templateChoice: t } = draftState.current
      // While a call is logged the draft stays the reply or note set aside; with none, the call notes are kept as a note.
      const aside = m === 'call' && setAside.current?.text.trim() ? setAside.current : null
      const text = (aside?.text ?? editor.getText({ blockSeparator: '\n' })).trim()
      const fields = {
        ...(c ? { channel: c } : {}),
        ...(subj !== null ? { subject: subj } : {}),
        ...(cc.trim() ? { cc } : {}),
        ...(t ? { template: t } : {}),
      }
      const keep = text !== '' || subj !== null || cc.trim() !== '' || t !== null
      // A call being logged keeps its notes as a note draft.
      const draftMode = aside ? aside.mode : m
      const draft: ComposerDraft | null = keep ? { mode: draftMode === 'call' ? 'note' : draftMode, doc: aside?.doc ?? editor.getJSON(), ...fields } : null
      void api.call('draft.save', { conversationId: conversation.id, draft })
    }
    pendingDraft.current = write
    if (draftTimer.current) clearTimeout(draftTimer.current)
    draftTimer.current = setTimeout(write, DRAFT_SAVE_DELAY_MS)
  }

  // Listened for on the form, which exists from the first render: the editor's own element
  // only once TipTap has mounted its view, which may come after this component's effects.
  const form = useRef<HTMLFormElement>(null)
  useEffect(() => {
    const element = form.current
    if (!element) return
    const open = (e: Event) => setPicker((e as CustomEvent<NonNullable<Picker>>).detail)
    element.addEventListener(OPEN_PICKER, open)
    return () => element.removeEventListener(OPEN_PICKER, open)
  }, [])

  useEffect(() => {
    if (!handleRef) return
    handleRef.current = {
      focus: (next) => {
        switchMode(next)
        editor?.commands.focus('end')
      },
    }
  })

  const action = effectiveMode === 'call' ? logCall : effectiveMode === 'note' ? note : reply
  const sending = action.isPending

  function sent(): void {
    if (!editor) return
    if (effectiveMode === 'call') {
      // The reply or note set aside is still to be written: only the call is done.
      editor.commands.clearContent(false)
      editorChanged()
      setCallDuration('')
      scheduleDraft()
      return
    }
    editor.commands.clearContent(true)
    if (draftTimer.current) clearTimeout(draftTimer.current)
    pendingDraft.current = null
    void api.call('draft.save', { conversationId: conversation.id, draft: null })
    setEmpty(true)
    setPlainText('')
    setSubject(null)
    setCcText('')
    setTemplateChoice(null)
    draftState.current = { ...draftState.current, subject: null, ccText: '', templateChoice: null }
    setCallDuration('')
  }

  function submit(): void {
    if (!editor || sending || !ready) return
    const text = editor.getText({ blockSeparator: '\n' }).trim()
    const done = { onSuccess: sent }
    if (effectiveMode === 'call') {
      if (duration === null) return
      logCall.mutate({ customerId, conversationId: conversation.id, direction: callDirection, outcome: callOutcome, durationSeconds: duration, notes: text }, done)
      return
    }
    if (effectiveMode === 'note') {
      // The agents picked with @ (never the author: the picker does not offer them).
      const mentions = mentionedIds(text, (users ?? []).filter((u) => u.id !== session?.user.id && !u.deactivatedAt))
      if (text) note.mutate({ conversationId: conversation.id, text, mentions }, done)
      return
    }
    if (!channel) return
    const outgoing = templatesOnly ? outboundTemplate : null
    // The timeline shows what the customer reads: the approved body with its parameters filled in.
    const body = templatesOnly ? (outgoing && template ? fillTemplate(template.body, outgoing.parameters) : '') : text
    if (!body) return
    const extras = {
      ...(outgoing ? { template: outgoing } : {}),
      ...(isEmail ? { subject: shownSubject.trim(), ...(ccList.length > 0 ? { cc: ccList } : {}) } : {}),
    }
    reply.mutate({ conversationId: conversation.id, channel, text: body, ...extras }, done)
  }

  const cannedOptions: PickerOption[] = (canned.data ?? []).map((c) => ({ id: c.id, label: `/${c.shortcut} · ${c.title}`, detail: c.body }))
  const agentOptions: PickerOption[] = (users ?? [])
    .filter((u) => u.id !== session?.user.id && !u.deactivatedAt)
    .map((u) => ({ id: u.id, label: u.name, detail: u.team ? `Team ${u.team}` : u.email }))

  function insertCanned(picked: PickerOption): void {
    const body = canned.data?.find((c) => c.id === picked.id)?.body ?? ''
    const text = fillCannedVariables(body, {
      customer: { name: profile?.customer.name ?? null },
      agent: { name: session?.user.name ?? null },
      conversation: { subject: conversation.subject, inbox: conversation.inbox },
    })
    setPicker(null)
    // Inserted at the editor's own selection; the picker closing puts the caret back after it.
    editor?.chain().insertContent(paragraphs(text)).run()
  }

  /**
   * Focuses the editor at its own selection: where the picker was opened, after anything it
   * inserted. At once, through ProseMirror (TipTap's focus command waits a frame, and the keys
   * typed in that frame would be lost).
   */
  function returnCaret(): void {
    editor?.view.focus()
  }

  function insertMention(picked: PickerOption | null): void {
    setPicker(null)
    if (!editor) return
    // Mentions are stored as plain "@Name" text; without a pick the "@" the agent typed stays.
    // A text node keeps the space as typed, and none is added where one already follows.
    const { from } = editor.state.selection
    const spaceFollows = /^\s/.test(editor.state.doc.textBetween(from, Math.min(from + 1, editor.state.doc.content.size), '\n'))
    const text = picked ? `@${picked.label}${spaceFollows ? '' : ' '}` : '@'
    editor.chain().insertContent({ type: 'text', text }).run()
  }

  return (
    <form
      ref={form}
      className={`composer${effectiveMode === 'note' ? ' composer-note' : ''}`}
      aria-label="Composer"
      onSubmit={(e) => {
        e.preventDefault()
        submit()
      }}
    >
      <div className="composer-tabs" role="tablist" aria-label="Compose">
        <button
          type="button"
          role="tab"
          aria-selected={effectiveMode === 'reply'}
          className="composer-tab"
          disabled={!canReply}
          onClick={() => switchMode('reply')}
        >
          Reply
          {canReply && channel ? ` by ${CHANNEL_LABELS[channel]}` : ''}
        </button>
        <button type="button" role="tab" aria-selected={effectiveMode === 'note'} className="composer-tab" onClick={() => switchMode('note')}>
          Internal note
        </button>
        <button type="button" role="tab" aria-selected={effectiveMode === 'call'} className="composer-tab" onClick={() => switchMode('call')}>
          Log call
        </button>
        <button type="button" className="composer-tab composer-canned" onClick={() => setPicker({ kind: 'canned', caret: null })} title="Canned responses (/ at line start, Ctrl+Shift+K)">
          Canned…
        </button>
      </div>
      {/* A note goes to the team, not down a channel: only a reply picks one. */}
      {options.length > 0 && effectiveMode === 'reply' && (
        <div className="reply-channels" role="radiogroup" aria-label="Reply channel">
          {options.map((o) => (
            <label key={o.channel} className={`reply-channel${o.enabled ? '' : ' is-disabled'}`} data-channel={o.channel} title={o.reason ?? undefined}>
              <input
                type="radio"
                name={`reply-channel-${conversation.id}`}
                value={o.channel}
                checked={channel === o.channel}
                disabled={!o.enabled}
                onChange={() => {
                  setPickedChannel(o.channel)
                  scheduleDraft({ pickedChannel: o.channel })
                  switchMode('reply')
                }}
              />
              <ChannelIcon channel={o.channel} />
              <span>{CHANNEL_LABELS[o.channel]}</span>
              {o.reason && <span className="reply-channel-reason">{o.reason}</span>}
            </label>
          ))}
        </div>
      )}
      {isEmail && (
        <div className="composer-fields">
          <label className="composer-field">
            <span>Subject</span>
            <input
              value={shownSubject}
              onChange={(e) => {
                setSubject(e.target.value)
                scheduleDraft({ subject: e.target.value })
              }}
              placeholder={conversation.subject ? '' : 'Subject of the email'}
              maxLength={998}
            />
          </label>
          <label className="composer-field">
            <span>Cc</span>
            <input
              value={ccText}
              onChange={(e) => {
                setCcText(e.target.value)
                scheduleDraft({ ccText: e.target.value })
              }}
              placeholder="Addresses, separated by commas"
              aria-invalid={badCc !== null}
            />
          </label>
          {badCc && (
            <span className="composer-error" role="alert">
              “{badCc}” is not an email address
            </span>
          )}
        </div>
      )}
      {effectiveMode === 'reply' && templatesOnly && (
        <TemplateFields
          approved={approved}
          choice={templateChoice}
          onChange={(choice) => {
            setTemplateChoice(choice)
            scheduleDraft({ templateChoice: choice })
          }}
        />
      )}
      {effectiveMode === 'call' && (
        <div className="composer-fields" aria-label="Call details">
          <label className="composer-field">
            <span>Direction</span>
            <select value={callDirection} onChange={(e) => setCallDirection(e.target.value as Direction)}>
              <option value="outbound">Outbound (we called)</option>
              <option value="inbound">Inbound (they called)</option>
            </select>
          </label>
          <label className="composer-field">
            <span>Outcome</span>
            <select value={callOutcome} onChange={(e) => setCallOutcome(e.target.value as CallOutcome)}>
              {CALL_OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o[0]?.toUpperCase()}
                  {o.slice(1)}
                </option>
              ))}
            </select>
          </label>
          <label className="composer-field">
            <span>Duration</span>
            <input value={callDuration} onChange={(e) => setCallDuration(e.target.value)} placeholder="mm:ss" inputMode="numeric" aria-invalid={callDuration !== '' && duration === null} />
          </label>
        </div>
      )}
      <div className={`composer-editor${effectiveMode === 'reply' && templatesOnly ? ' is-hidden' : ''}`}>
        <EditorContent editor={editor} />
        {empty && (
          <span className="composer-placeholder" aria-hidden="true">
            {effectiveMode === 'call'
              ? 'Notes on the call (optional)…'
              : effectiveMode === 'reply' && channel
                ? `Write a reply to send by ${CHANNEL_LABELS[channel]}… (/ for canned responses)`
                : 'Write a note only your team can see… (@ to mention)'}
          </span>
        )}
      </div>
      <div className="composer-footer">
        {action.error ? (
          <span className="composer-error" role="alert">
            {action.error.message}
          </span>
        ) : unfilled.length > 0 ? (
          <span className="composer-error" role="alert" data-testid="unfilled-placeholders">
            Replace {unfilled.join(', ')} before sending: there is no value for {unfilled.length === 1 ? 'it' : 'them'}
          </span>
        ) : (
          <span className="composer-hint">
            {effectiveMode === 'note' ? 'Visible to your team only' : effectiveMode === 'call' ? 'Logged in the customer’s call history' : 'Ctrl+Enter to send'}
          </span>
        )}
        {effectiveMode === 'reply' && channel === 'sms' && plainText.trim() && <SegmentCounter text={plainText.trim()} />}
        <button type="submit" className="button button-primary" disabled={!ready || sending}>
          <Icon name={effectiveMode === 'reply' ? 'send' : 'note'} />
          {effectiveMode === 'note' ? 'Add note' : effectiveMode === 'call' ? 'Log call' : 'Send'}
        </button>
      </div>
      {picker?.kind === 'canned' && (
        <InsertPicker title="Canned responses" options={cannedOptions} onPick={insertCanned} onClose={() => setPicker(null)} returnFocus={returnCaret} />
      )}
      {picker?.kind === 'mention' && (
        <InsertPicker
          title="Mention an agent"
          options={agentOptions}
          caret={picker.caret}
          onPick={insertMention}
          onClose={() => insertMention(null)}
          returnFocus={returnCaret}
        />
      )}
    </form>
  )
}

function editorAttributes(mode: Mode): Record<string, string> {
  return {
    // Call notes are for the team too, so "@" mentions work in them as in a note.
    class: `composer-input${mode === 'reply' ? '' : ' is-note'}`,
    role: 'textbox',
    'aria-multiline': 'true',
    'aria-label': mode === 'reply' ? 'Reply to the customer' : mode === 'call' ? 'Call notes' : 'Internal note',
  }
}
