import { io, type Socket } from 'socket.io-client'
import type {
  AgentTyping,
  ChatAck,
  ChatClientToServerEvents,
  ChatContact,
  ChatError,
  ChatMessage,
  ChatServerToClientEvents,
  ChatSession,
  IdentifyResponse,
  OkResponse,
  Presence,
  SendCodeResponse,
  SendResponse,
  SignedIdentity,
} from '../shared/chat'
import type { CsatRating } from '../shared/csat'
import { CSAT_RATINGS, RATING_WORDS } from '../shared/csat-scale'
import { WIDGET_CSS } from './styles'

/**
 * The embeddable web chat: one script tag,
 *   <script src="https://chat.example.com/widget.js" data-inbox="Website chat" async></script>
 * A site that has signed its user in adds data-user-id, data-user-email, data-user-name,
 * data-user-phone and data-user-signature (its backend's HMAC of id, email and phone), and the
 * visitor is known at once.
 * Plain DOM in a shadow root (the page's CSS and ours never meet) and socket.io to the server.
 * The server validates every payload; the widget only renders what it is given.
 */

declare const __CHAT_SOCKET_PATH__: string

type ChatSocket = Socket<ChatServerToClientEvents, ChatClientToServerEvents>
type View = 'prechat' | 'verify' | 'chat' | 'offline' | 'offline-sent'

interface Saved {
  token?: string
  contact?: ChatContact
}

interface Pending {
  clientMessageId: string
  text: string
  element: HTMLElement
  /** Refused as too many for now: sent again when the server said it would take it. */
  held?: boolean
}

const SEND_TIMEOUT_MS = 10_000
/** When a refusal for too many does not say how long to wait. */
const DEFAULT_RETRY_SECONDS = 10
const TYPING_IDLE_MS = 2_000
/** Below the 6 s after which the agent's app drops a typing indicator it has not heard again. */
const TYPING_REPEAT_MS = 3_000
const AGENT_TYPING_EXPIRY_MS = 8_000


/** A survey on screen: its buttons until answered, then the thanks line. */
interface SurveyState {
  id: string
  element: HTMLElement
  buttons: HTMLButtonElement[]
  answered: boolean
  /** The rating recorded, once answered. */
  rating: CsatRating | null
  /** The notice shows this survey's refusal: cleared once it is answered. */
  noticed: boolean
}

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript
  if (current instanceof HTMLScriptElement && current.dataset.inbox !== undefined) return current
  return document.querySelector<HTMLScriptElement>('script[data-inbox][src*="widget.js"]')
}

/** crypto.randomUUID needs a secure context; pages served over plain http still get ids. */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  node.append(...children)
  return node
}

const isError = <T>(res: ChatAck<T>): res is Extract<ChatAck<T>, { error: unknown }> =>
  typeof res === 'object' && res !== null && 'error' in res

class ChatWidget {
  private readonly storageKey: string
  private saved: Saved
  private session: ChatSession | null = null
  private view: View = 'chat'
  private readonly socket: ChatSocket
  private readonly shown = new Set<string>()
  private readonly pending: Pending[] = []
  /** By survey id: a survey message seen again (live, then in the history) keeps one state. */
  private readonly surveys = new Map<string, SurveyState>()
  private typingTimer: number | undefined
  private retryTimer: number | undefined
  private agentTypingTimer: number | undefined
  private typing = false
  private typingSentAt = 0

  private readonly root: ShadowRoot
  private readonly panel: HTMLElement
  private readonly title = el('strong', { 'data-part': 'title' }, 'Chat')
  private readonly status = el('span', { 'data-part': 'status' })
  private readonly body = el('div', { 'data-part': 'body' })
  private readonly list = el('ol', { 'data-part': 'messages', 'aria-live': 'polite' })
  private readonly typingLine = el('div', { 'data-part': 'typing', hidden: '' })
  private readonly notice = el('div', { 'data-part': 'notice', role: 'alert', hidden: '' })
  private readonly composer: HTMLFormElement
  private readonly input = el('textarea', { 'data-part': 'input', rows: '2', placeholder: 'Write a message…', 'aria-label': 'Message' })

  /** What the code step shows: the address the code went to. */
  private codeSentTo = ''

  constructor(
    private readonly server: string,
    private readonly inbox: string,
    private readonly signedIdentity: SignedIdentity | null,
  ) {
    this.storageKey = `threadline-chat:${server}:${inbox}`
    this.saved = this.load()

    const host = el('div', { id: 'threadline-chat' })
    this.root = host.attachShadow({ mode: 'open' })
    this.root.append(el('style', {}, WIDGET_CSS))
    const launcher = el('button', { type: 'button', 'data-part': 'launcher', 'aria-label': 'Open chat' }, 'Chat')
    const close = el('button', { type: 'button', 'data-part': 'close', 'aria-label': 'Close chat' }, '×')
    this.composer = el(
      'form',
      { 'data-part': 'composer' },
      this.input,
      el('button', { type: 'submit', 'data-part': 'send' }, 'Send'),
    )
    this.panel = el(
      'section',
      { 'data-part': 'panel', hidden: '', 'aria-label': 'Chat' },
      el('header', {}, el('div', {}, this.title, this.status), close),
      this.body,
      this.notice,
    )
    this.root.append(launcher, this.panel)
    document.body.append(host)

    launcher.addEventListener('click', () => this.toggle(true))
    close.addEventListener('click', () => this.toggle(false))
    this.composer.addEventListener('submit', (e) => {
      e.preventDefault()
      this.submitMessage()
    })
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault()
        this.submitMessage()
      }
    })
    this.input.addEventListener('input', () => this.onInput())

    this.socket = io(server, {
      path: __CHAT_SOCKET_PATH__,
      // A function, so a reconnect presents the token the server issued on the first connect.
      auth: (cb) => cb({ inbox, ...(this.saved.token ? { token: this.saved.token } : {}) }),
    })
    this.socket.on('connect', () => this.join())
    this.socket.on('connect_error', (err) => {
      this.showNotice(`Chat unavailable: ${err.message}`)
      const refusal = (err as Error & { data?: ChatError['error'] }).data
      // socket.io retries a lost connection by itself, never a refused handshake: a busy chat is tried again when it said.
      if (refusal?.code === 'rate_limited' && !this.socket.active) {
        window.setTimeout(() => this.socket.connect(), (refusal.retryAfterSeconds ?? DEFAULT_RETRY_SECONDS) * 1000)
      }
    })
    this.socket.on('disconnect', () => this.setStatus('Reconnecting…'))
    this.socket.on('message', (m, ack) => {
      this.hideAgentTyping()
      this.append(m)
      ack?.()
    })
    this.socket.on('typing', (t) => this.onAgentTyping(t))
    this.socket.on('presence', (p) => this.onPresence(p))
    this.socket.on('problem', (p) => this.showNotice(p.error.message))
  }

  private load(): Saved {
    try {
      const raw = localStorage.getItem(this.storageKey)
      return raw ? (JSON.parse(raw) as Saved) : {}
    } catch {
      return {}
    }
  }

  private save(): void {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.saved))
    } catch {
      // Storage may be disabled (private mode): the chat works, it just will not survive a reload.
    }
  }

  private toggle(open: boolean): void {
    this.panel.hidden = !open
    if (open && this.view === 'chat') this.input.focus()
  }

  private join(): void {
    this.socket.emit('join', {}, (res) => {
      if (isError(res)) return this.showNotice(res.error.message)
      this.session = res
      this.saved.token = res.token
      this.save()
      this.title.textContent = res.title
      this.hideNotice()
      if (this.signedIdentity) this.socket.emit('identify', { ...this.saved.contact, signedIdentity: this.signedIdentity }, (r) => this.noticeIfError(r))
      else if (this.saved.contact) this.socket.emit('identify', this.saved.contact, () => undefined)
      for (const m of res.history) this.append(m)
      this.setStatus(res.agentsOnline ? 'We are online' : 'We are away')
      if (this.view !== 'offline-sent') this.render(this.chooseView(res.agentsOnline))
      this.flushPending()
    })
  }

  private chooseView(agentsOnline: boolean): View {
    const talking = this.shown.size > 0 || this.pending.length > 0
    if (!agentsOnline && !talking) return 'offline'
    if (this.session?.preChatForm && !this.saved.contact && !this.signedIdentity && !talking) return 'prechat'
    return 'chat'
  }

  private render(view: View): void {
    if (view === this.view && this.body.childElementCount > 0) return
    this.view = view
    this.body.replaceChildren()
    if (view === 'chat') {
      if (this.session?.greeting && this.list.childElementCount === 0) {
        this.list.append(el('li', { 'data-from': 'agent', 'data-part': 'greeting' }, this.session.greeting))
      }
      this.body.append(this.list, this.typingLine, this.composer)
      this.input.focus()
    } else if (view === 'prechat') {
      this.body.append(this.prechatForm())
    } else if (view === 'verify') {
      this.body.append(this.verifyForm())
    } else if (view === 'offline') {
      this.body.append(this.offlineForm())
    } else {
      this.body.append(el('p', { 'data-part': 'offline-sent' }, 'Thank you. We will answer by email as soon as we are back.'))
    }
  }

  private prechatForm(): HTMLFormElement {
    const name = el('input', { name: 'name', autocomplete: 'name', 'aria-label': 'Your name', placeholder: 'Your name' })
    const email = el('input', { name: 'email', type: 'email', autocomplete: 'email', 'aria-label': 'Your email', placeholder: 'Your email' })
    const phone = el('input', { name: 'phone', type: 'tel', autocomplete: 'tel', 'aria-label': 'Your phone', placeholder: 'Your phone' })
    const question = this.session?.consentQuestion ?? null
    const consent = el('input', { name: 'consent', type: 'checkbox' })
    const form = el(
      'form',
      { 'data-part': 'prechat' },
      el('p', {}, 'Tell us who you are, so we can find your earlier conversations (optional).'),
      name,
      email,
      phone,
      ...(question ? [el('label', { 'data-part': 'consent' }, consent, question)] : []),
      el('button', { type: 'submit', 'data-part': 'start' }, 'Start chat'),
    )
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const contact: ChatContact = {}
      if (name.value.trim()) contact.name = name.value.trim()
      if (email.value.trim()) contact.email = email.value.trim()
      if (phone.value.trim()) contact.phone = phone.value.trim()
      const given = question && consent.checked ? { marketingConsent: true as const } : {}
      this.socket.emit('identify', { ...contact, ...given }, (res: ChatAck<IdentifyResponse>) => {
        if (isError(res)) return this.showNotice(res.error.message)
        this.hideNotice()
        // The tick is given once: a reconnect identifying again must not repeat it.
        this.saved.contact = contact
        this.save()
        if (res.email !== 'unverified' || !res.codeAvailable) return this.render('chat')
        // A typed email finds earlier conversations only once proven: offer a code, which may be skipped.
        this.socket.emit('send_code', {}, (sent: ChatAck<SendCodeResponse>) => {
          if (isError(sent)) {
            this.showNotice(sent.error.message)
            return this.render('chat')
          }
          this.codeSentTo = sent.sentTo
          this.render('verify')
        })
      })
    })
    return form
  }

  private verifyForm(): HTMLFormElement {
    const code = el('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', 'aria-label': 'Code', placeholder: '123456' })
    const skip = el('button', { type: 'button', 'data-part': 'skip' }, 'Skip')
    const form = el(
      'form',
      { 'data-part': 'verify' },
      el('p', {}, `We sent a code to ${this.codeSentTo}. Type it here so we can find your earlier conversations.`),
      code,
      el('button', { type: 'submit', 'data-part': 'verify-code' }, 'Confirm'),
      skip,
    )
    skip.addEventListener('click', () => {
      this.hideNotice()
      this.render('chat')
    })
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      this.socket.emit('verify_code', { code: code.value.trim() }, (res: ChatAck<OkResponse>) => {
        if (isError(res)) {
          code.value = ''
          code.focus()
          return this.showNotice(res.error.message)
        }
        this.hideNotice()
        this.render('chat')
      })
    })
    return form
  }

  private offlineForm(): HTMLFormElement {
    const contact = this.saved.contact ?? {}
    const name = el('input', { name: 'name', autocomplete: 'name', 'aria-label': 'Your name', placeholder: 'Your name' })
    const email = el('input', { name: 'email', type: 'email', required: '', autocomplete: 'email', 'aria-label': 'Your email', placeholder: 'Your email' })
    const text = el('textarea', { name: 'message', required: '', rows: '4', 'aria-label': 'Your message', placeholder: 'How can we help?' })
    name.value = contact.name ?? ''
    email.value = contact.email ?? ''
    const form = el(
      'form',
      { 'data-part': 'offline' },
      el('p', {}, 'Nobody is online right now. Leave a message and we will answer by email.'),
      name,
      email,
      text,
      el('button', { type: 'submit', 'data-part': 'leave-message' }, 'Leave a message'),
    )
    const clientMessageId = uuid()
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      const req = {
        clientMessageId,
        email: email.value.trim(),
        text: text.value,
        ...(name.value.trim() ? { name: name.value.trim() } : {}),
      }
      this.socket.timeout(SEND_TIMEOUT_MS).emit('offline', req, (err, res) => {
        if (err) return this.showNotice('Could not reach the server; please try again.')
        if (isError(res)) return this.showNotice(res.error.message)
        this.hideNotice()
        this.saved.contact = { email: req.email, ...(req.name ? { name: req.name } : {}) }
        this.save()
        this.render('offline-sent')
      })
    })
    return form
  }

  private submitMessage(): void {
    const text = this.input.value.trim()
    if (!text) return
    this.input.value = ''
    this.setTyping(false)
    const element = this.bubble('visitor', text)
    element.dataset.state = 'sending'
    this.list.append(element)
    this.scroll()
    const item: Pending = { clientMessageId: uuid(), text, element }
    this.pending.push(item)
    this.sendPending(item)
  }

  /** Sent with its client id until the server acknowledges it; a resend is stored once. */
  private sendPending(item: Pending): void {
    if (!this.socket.connected || !this.session) return
    this.socket.timeout(SEND_TIMEOUT_MS).emit('send', { clientMessageId: item.clientMessageId, text: item.text }, (err: Error | null, res: ChatAck<SendResponse>) => {
      if (err) return // still pending: sent again on the next connect
      const at = this.pending.indexOf(item)
      if (isError(res)) {
        if (res.error.code === 'bad_request') {
          if (at >= 0) this.pending.splice(at, 1)
          item.element.dataset.state = 'failed'
        } else if (res.error.code === 'rate_limited') {
          item.held = true
          this.retryPendingIn(res.error.retryAfterSeconds ?? DEFAULT_RETRY_SECONDS)
        }
        return this.showNotice(res.error.message)
      }
      if (at >= 0) this.pending.splice(at, 1)
      item.element.remove()
      this.append(res.message)
      if (item.held && !this.pending.some((p) => p.held)) this.hideNotice()
    })
  }

  private retryPendingIn(seconds: number): void {
    window.clearTimeout(this.retryTimer)
    this.retryTimer = window.setTimeout(() => this.flushPending(), seconds * 1000)
  }

  private flushPending(): void {
    for (const item of [...this.pending]) this.sendPending(item)
  }

  private append(m: ChatMessage): void {
    if (this.shown.has(m.id)) {
      // Seen already: only what the server knows of its survey may be newer (answered in another tab).
      const survey = m.survey
      const known = survey ? this.surveys.get(survey.id) : undefined
      if (known && survey && survey.rating !== null) this.surveyAnswered(known, survey.rating)
      return
    }
    this.shown.add(m.id)
    if (this.view !== 'chat' && this.view !== 'offline-sent') this.render('chat')
    const bubble = this.bubble(m.from, m.text, m.from === 'agent' ? m.authorName : undefined)
    bubble.dataset.id = m.id
    if (m.survey) bubble.append(this.surveyRow(m.survey.id, m.survey.rating))
    this.list.append(bubble)
    this.scroll()
  }

  /** Ratings 1–5 under the survey's question, or the thanks line once it has its answer. */
  private surveyRow(id: string, rating: CsatRating | null): HTMLElement {
    const element = el('div', { 'data-part': 'survey', role: 'group', 'aria-label': 'Rate this conversation' })
    const state: SurveyState = { id, element, buttons: [], answered: false, rating: null, noticed: false }
    this.surveys.set(id, state)
    if (rating !== null) {
      this.surveyAnswered(state, rating)
      return element
    }
    state.buttons = CSAT_RATINGS.map((r) => {
      const button = el('button', { type: 'button', 'data-part': 'rate', 'data-rating': String(r), 'aria-label': `Rate ${r} of 5 – ${RATING_WORDS[r]}`, title: RATING_WORDS[r] }, String(r))
      button.addEventListener('click', () => this.rate(state, r))
      return button
    })
    element.append(...state.buttons)
    return element
  }

  private rate(state: SurveyState, rating: CsatRating): void {
    if (state.answered) return
    this.setSurveyBusy(state, true)
    this.socket.timeout(SEND_TIMEOUT_MS).emit('rate', { surveyId: state.id, rating }, (err, res) => {
      if (state.answered) return
      if (err) return this.surveyRefused(state, 'Could not reach the server; please try again.')
      // The server answers with the rating recorded, which is the first one when another tab gave it.
      if (!isError(res)) return this.surveyAnswered(state, res.rating)
      this.surveyRefused(state, res.error.message)
    })
  }

  private setSurveyBusy(state: SurveyState, busy: boolean): void {
    for (const button of state.buttons) button.disabled = busy
    if (busy) state.element.setAttribute('aria-busy', 'true')
    else state.element.removeAttribute('aria-busy')
  }

  private surveyRefused(state: SurveyState, message: string): void {
    this.setSurveyBusy(state, false)
    state.noticed = true
    this.showNotice(message)
  }

  private surveyAnswered(state: SurveyState, rating: CsatRating): void {
    if (state.answered) return
    state.answered = true
    state.rating = rating
    state.buttons = []
    state.element.removeAttribute('aria-busy')
    state.element.removeAttribute('role')
    state.element.removeAttribute('aria-label')
    state.element.replaceChildren(
      el('p', { 'data-part': 'survey-thanks' }, `Thanks — you rated ${rating} of 5.`),
    )
    if (state.noticed) {
      state.noticed = false
      this.hideNotice()
    }
  }

  private bubble(from: ChatMessage['from'], text: string, author?: string): HTMLLIElement {
    const li = el('li', { 'data-from': from, 'data-part': 'message' })
    if (author) li.append(el('span', { 'data-part': 'author' }, author))
    li.append(el('span', { 'data-part': 'text' }, text))
    return li
  }

  private scroll(): void {
    this.list.scrollTop = this.list.scrollHeight
  }

  private onInput(): void {
    if (this.input.value.trim()) this.setTyping(true)
    window.clearTimeout(this.typingTimer)
    this.typingTimer = window.setTimeout(() => this.setTyping(false), TYPING_IDLE_MS)
  }

  private setTyping(typing: boolean): void {
    // While typing goes on, "still typing" is repeated: the agent's indicator expires on its own
    // so that a lost "stopped" cannot leave it up forever.
    const now = Date.now()
    if (typing === this.typing && !(typing && now - this.typingSentAt >= TYPING_REPEAT_MS)) return
    this.typing = typing
    this.typingSentAt = now
    if (!typing) window.clearTimeout(this.typingTimer)
    if (this.socket.connected) this.socket.emit('typing', { typing })
  }

  private onAgentTyping(t: AgentTyping): void {
    window.clearTimeout(this.agentTypingTimer)
    if (!t.typing) return this.hideAgentTyping()
    this.typingLine.textContent = `${t.name} is typing…`
    this.typingLine.hidden = false
    // A lost "stopped typing" must not leave the indicator up forever.
    this.agentTypingTimer = window.setTimeout(() => this.hideAgentTyping(), AGENT_TYPING_EXPIRY_MS)
  }

  private hideAgentTyping(): void {
    this.typingLine.hidden = true
  }

  private onPresence(p: Presence): void {
    this.setStatus(p.agentsOnline ? 'We are online' : 'We are away')
    if (this.view === 'offline-sent') return
    if (p.agentsOnline && this.view === 'offline') this.render(this.chooseView(true))
    else if (!p.agentsOnline && this.view === 'prechat') this.render('offline')
  }

  private setStatus(text: string): void {
    this.status.textContent = text
  }

  private noticeIfError(res: ChatAck<unknown>): void {
    if (isError(res)) this.showNotice(res.error.message)
  }

  private showNotice(text: string): void {
    this.notice.textContent = text
    this.notice.hidden = false
  }

  private hideNotice(): void {
    this.notice.hidden = true
  }
}

function boot(): void {
  const script = findScript()
  const inbox = script?.dataset.inbox?.trim()
  if (!script || !inbox) {
    console.error('Threadline chat: add data-inbox="<inbox name>" to the widget.js script tag')
    return
  }
  if (document.getElementById('threadline-chat')) return
  const server = new URL(script.src, document.baseURI).origin
  const { userId, userEmail, userName, userPhone, userSignature } = script.dataset
  const signed: SignedIdentity | null =
    userId && userEmail && userSignature
      ? { userId, email: userEmail, signature: userSignature, ...(userName ? { name: userName } : {}), ...(userPhone ? { phone: userPhone } : {}) }
      : null
  const start = (): void => void new ChatWidget(server, inbox, signed)
  if (document.body) start()
  else document.addEventListener('DOMContentLoaded', start, { once: true })
}

boot()
