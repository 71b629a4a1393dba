import { Faker, en } from '@faker-js/faker'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { Channel, ConversationStatus, Role } from '../../shared/domain'
import type { InboundMessage } from '../../shared/ingest'
import type { CsatRating } from '../../shared/csat'
import { DemoClock } from './clock'
import { demoBusinessHours } from './hours'
import { PRODUCTS, TOPICS, type Topic } from './topics'

/**
 * A deterministic multi-channel support history. The same seed and size always give the
 * same customers, texts and order; timestamps fall in the 90 days before `now`, customers
 * writing mostly while the team is in and the team answering in its inboxes' business hours
 * (hours.ts). Steps stream out of a generator so a million-message benchmark dataset never
 * sits in memory.
 */

export interface DemoAgent {
  name: string
  email: string
  role: Role
  team: string | null
}

export type DemoAction =
  | { name: 'reply'; text: string }
  | { name: 'note'; text: string }
  | { name: 'assign'; assigneeEmail: string; team: string | null }
  | { name: 'setStatus'; status: Exclude<ConversationStatus, 'snoozed'> }
  | { name: 'label'; add: string[] }

export type DemoStep =
  /** `thread` names the conversation the item starts or continues. */
  | { kind: 'inbound'; thread: string; item: InboundMessage }
  | { kind: 'action'; thread: string; agentEmail: string; at: number; action: DemoAction }
  /**
   * The customer answers the satisfaction survey the resolution just before sent, if one went:
   * by SMS or WhatsApp with `reply` (a digit), else as the email page or the chat widget would.
   */
  | { kind: 'rating'; thread: string; at: number; rating: CsatRating; reply: InboundMessage | null }

export interface DemoOptions {
  seed?: number
  customers?: number
  /** Average conversations per customer (at least one each). */
  conversationsPerCustomer?: number
  /** Average messages per conversation, both directions. */
  messagesPerConversation?: number
  /** History ends at this time (ms); it spans the 90 days before it. */
  now?: number
}

export const DEMO_INBOXES: Record<Channel, string> = {
  email: 'Support email',
  chat: 'Website chat',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  voice: 'Phone',
}

export const DEMO_AGENTS: DemoAgent[] = [
  { name: 'Alex Morgan', email: 'alex@threadline.demo', role: 'agent', team: 'Support' },
  { name: 'Priya Shah', email: 'priya@threadline.demo', role: 'agent', team: 'Support' },
  { name: 'Tom Becker', email: 'tom@threadline.demo', role: 'agent', team: 'Support' },
  { name: 'Lucía Romero', email: 'lucia@threadline.demo', role: 'agent', team: 'Billing' },
  { name: 'Kenji Watanabe', email: 'kenji@threadline.demo', role: 'agent', team: 'Billing' },
  { name: 'Sam Okafor', email: 'sam@threadline.demo', role: 'supervisor', team: 'Support' },
  { name: 'Dana Whitfield', email: 'dana@threadline.demo', role: 'admin', team: null },
]

/** The agent whose workspace the tests and the benchmark open: one with conversations of their own. */
export const DEMO_AGENT_EMAIL = 'alex@threadline.demo'
/** The supervisor `npm start` signs in as: the dashboards are theirs, and they may do all an agent does. */
export const DEMO_SUPERVISOR_EMAIL = 'sam@threadline.demo'

const DAY = 86_400_000
const HOUR = 3_600_000
const MINUTE = 60_000
const BILLING_LABELS = new Set(['billing', 'refund', 'payments', 'subscription'])

type Minutes = readonly [min: number, max: number]
type Written = Exclude<Channel, 'voice'>

/** Business minutes before an agent picks a new conversation up. */
const PICKUP: Record<Written, Minutes> = { chat: [1, 4], email: [5, 90], sms: [3, 45], whatsapp: [3, 45] }
/** Business minutes before an agent answers the customer. */
const REPLY: Record<Written, Minutes> = { chat: [1, 6], email: [15, 300], sms: [5, 120], whatsapp: [5, 120] }
/** Minutes before the customer writes back: on the chat at once, elsewhere when it suits them. */
const FOLLOW_UP: Record<Written, Minutes> = { chat: [1, 5], email: [30, 24 * 60], sms: [5, 8 * 60], whatsapp: [5, 8 * 60] }
/** Business minutes from the last message to the conversation being resolved. */
const RESOLVE: Record<Written, Minutes> = { chat: [2, 30], email: [5, 240], sms: [5, 240], whatsapp: [5, 240] }
/** The share of agents' actions taken outside business hours: someone covering an evening. */
const AFTER_HOURS_COVER = 0.06
/** The share of resolved conversations the customer writes into again, reopening them. */
const REOPEN = 0.12
/** The share of email and chat conversations the customer carries on by text, when the server knows their number is theirs. */
const SWITCH = 0.3
/** Kept inside the server's default reopen window (168 hours of the last message) by a margin. */
const REOPEN_WITHIN = 6 * DAY
const REOPENERS = ['Sorry to come back to this.', 'Hi again, this is not sorted after all.', 'One more thing on this one.']
/** Share of surveys customers answer, and how they rate: mostly well, as support teams see. */
const ANSWERS_SURVEY = 0.45
const RATINGS = [
  { value: 5, weight: 46 },
  { value: 4, weight: 28 },
  { value: 3, weight: 12 },
  { value: 2, weight: 7 },
  { value: 1, weight: 7 },
] as const satisfies readonly { value: CsatRating; weight: number }[]
const SWITCHERS = ['Texting instead, it is quicker.', 'Following up from my phone.', 'Writing from my phone as I am out.']

interface Person {
  index: number
  name: string
  email: string
  phone: string | null
  visitorId: string
}

export function* generateDemo(options: DemoOptions = {}): Generator<DemoStep> {
  const { seed = 1, customers = 200, conversationsPerCustomer = 4, messagesPerConversation = 5 } = options
  const now = options.now ?? Date.now()
  const f = new Faker({ locale: [en] })
  f.seed(seed)
  const agents = DEMO_AGENTS.filter((a) => a.role === 'agent')
  const clocks = demoClocks(now)

  for (let index = 0; index < customers; index++) {
    const person = makePerson(f, index)
    const addresses = new Addresses(person.phone !== null)
    // Someone using every channel starts on the chat, signed in: that ties their addresses together,
    // so their emails and texts later are one customer's and they can move between them.
    const reachable: Channel[] = person.phone ? ['chat', 'email', 'sms', 'whatsapp', 'voice'] : ['chat', 'email']
    const count = Math.max(1, Math.round(conversationsPerCustomer * (0.5 + f.number.float({ min: 0, max: 1 }))))
    // Conversations of one customer follow each other in time, oldest first, each after the last one ended.
    let at = now - f.number.int({ min: 20 * DAY, max: 90 * DAY })
    let free = at
    const gap = Math.floor((now - at) / (count + 1))
    // About a third of customers have a conversation still going on: that is the open queue.
    const hasOngoing = f.datatype.boolean({ probability: 0.35 })
    for (let n = 0; n < count; n++) {
      const isRecent = hasOngoing && n === count - 1
      const channel = n < reachable.length && count >= reachable.length ? reachable[n]! : f.helpers.arrayElement(reachable)
      const lo = isRecent ? Math.max(free + 30 * MINUTE, now - 3 * DAY) : Math.max(free + 30 * MINUTE, at + Math.floor(gap / 2))
      const hi = isRecent ? Math.max(lo, now - 30 * MINUTE) : Math.max(at + gap, lo + Math.floor(gap / 2))
      if (lo >= now) break
      at = Math.min(clocks[channel].customerMoment(f, lo, hi), now)
      const plan = { person, addresses, channel, thread: `${index}-${n}`, at, agents, isRecent, messagesPerConversation, now, clocks }
      free = yield* conversation(f, plan)
    }
  }
}

const ratings = new Faker({ locale: [en] })

/** A seed from a string (FNV-1a), for draws that must not move the main generator's sequence. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** One clock per distinct schedule, over the history and a margin before it. */
function demoClocks(now: number): Record<Channel, DemoClock> {
  const hours = demoBusinessHours(now)
  const from = now - 92 * DAY
  const email = new DemoClock(hours.email, from, now)
  const sms = new DemoClock(hours.sms, from, now)
  return { email, voice: email, chat: new DemoClock(hours.chat, from, now), sms, whatsapp: sms }
}

/**
 * Which of a person's addresses the server holds as one customer, as identity resolution decides
 * (identity/resolve.ts): each address first seen alone starts a customer; a signed-in chat joins
 * the customer its visitor, email or number already has, and brings the others it discloses along
 * when nobody has them yet. A text continues an email or chat conversation only when the number
 * is that customer's.
 */
class Addresses {
  private email: number | null = null
  private phone: number | null = null
  private visitor: number | null = null
  private customers = 0

  constructor(private readonly hasPhone: boolean) {}

  wrote(channel: Channel): void {
    if (channel === 'email') this.email ??= this.customers++
    else if (channel !== 'chat') this.phone ??= this.customers++
    else {
      const customer = this.visitor ?? this.email ?? (this.hasPhone ? this.phone : null) ?? this.customers++
      this.visitor = customer
      this.email ??= customer
      if (this.hasPhone) this.phone ??= customer
    }
  }

  /** Whether a text from their number reaches the customer who wrote on `channel`. */
  textsJoin(channel: 'email' | 'chat'): boolean {
    const customer = channel === 'email' ? this.email : this.visitor
    return customer !== null && this.phone === customer
  }
}

function makePerson(f: Faker, index: number): Person {
  const first = f.person.firstName()
  const last = f.person.lastName()
  const hasPhone = f.datatype.boolean({ probability: 0.75 })
  return {
    index,
    name: `${first} ${last}`,
    email: f.internet.email({ firstName: first, lastName: last, provider: f.helpers.arrayElement(['gmail.com', 'outlook.com', 'proton.me', 'yahoo.com', 'fastmail.com']) }).toLowerCase(),
    phone: hasPhone ? validPhone(f) : null,
    visitorId: `visitor-${f.string.alphanumeric(12)}`,
  }
}

function validPhone(f: Faker): string {
  for (;;) {
    const candidate = f.phone.number({ style: 'international' })
    if (parsePhoneNumberFromString(candidate)?.isValid()) return candidate
  }
}

interface ConversationPlan {
  person: Person
  addresses: Addresses
  channel: Channel
  thread: string
  at: number
  agents: DemoAgent[]
  isRecent: boolean
  messagesPerConversation: number
  now: number
  clocks: Record<Channel, DemoClock>
}

/**
 * One conversation's steps, each no later than `now`: the customer writes when it suits them, the
 * team answers in its inbox's business hours (a message on Friday night waits for Monday), and
 * what would happen after `now` has not happened yet. Returns when its last step happened.
 */
function* conversation(f: Faker, plan: ConversationPlan): Generator<DemoStep, number> {
  const { person, thread, now, clocks } = plan
  const topic = f.helpers.arrayElement(TOPICS)
  const fill = filler(f)
  const subject = fill(topic.subject)
  const team = topic.labels.some((l) => BILLING_LABELS.has(l)) ? 'Billing' : 'Support'
  const teamAgents = plan.agents.filter((a) => a.team === team)
  const agent = f.helpers.arrayElement(teamAgents.length ? teamAgents : plan.agents)
  // The team works to the hours of the inbox the conversation began in, whatever channel it moves to.
  const clock = clocks[plan.channel]
  let at = plan.at
  const action = (a: DemoAction): DemoStep => ({ kind: 'action', thread, agentEmail: agent.email, at, action: a })
  const minutes = ([min, max]: Minutes): number => f.number.int({ min, max }) * MINUTE
  /** When the agent gets to it, `span` business minutes after `after`; null when that is after `now`. */
  const agentAt = (after: number, span: Minutes): number | null => {
    const ms = minutes(span)
    const when = f.datatype.boolean({ probability: AFTER_HOURS_COVER }) ? after + ms : clock.afterBusiness(after, ms)
    return when !== null && when <= now ? when : null
  }
  plan.addresses.wrote(plan.channel)

  if (plan.channel === 'voice') {
    const answered = clock.isOpen(at) && f.datatype.boolean({ probability: 0.85 })
    const durationSeconds = answered ? f.number.int({ min: 45, max: 1_200 }) : 0
    yield {
      kind: 'inbound',
      thread,
      item: {
        channel: 'voice',
        inbox: DEMO_INBOXES.voice,
        externalId: `demo-call-${thread}`,
        from: { kind: 'phone', address: person.phone!, name: person.name },
        sentAt: at,
        call: answered
          ? { status: 'completed', outcome: 'answered', durationSeconds, transcript: fill(f.helpers.arrayElement(topic.opening)) }
          : { status: 'completed', outcome: 'missed', durationSeconds: 0 },
      },
    }
    // A call nobody took is returned when the team is in.
    const handled = answered ? at + durationSeconds * 1_000 + MINUTE : agentAt(at, [10, 120])
    if (handled === null || handled + 2 * MINUTE > now) return at
    at = handled
    yield action({ name: 'assign', assigneeEmail: agent.email, team })
    at += MINUTE
    yield action({ name: 'note', text: `${answered ? 'Call' : 'Called back'}: ${fill(f.helpers.arrayElement(topic.agentReply))}` })
    at += MINUTE
    if (!plan.isRecent) yield action({ name: 'setStatus', status: 'resolved' })
    return at
  }

  let channel: Written = plan.channel
  const domain = person.email.split('@')[1]
  const emailRoot = `<${thread}.${f.string.alphanumeric(10)}@${domain}>`
  let inboundCount = 0
  const inbound = (text: string): DemoStep => {
    const externalId =
      channel === 'email'
        ? inboundCount === 0
          ? emailRoot
          : `<${thread}.${inboundCount}.${f.string.alphanumeric(10)}@${domain}>`
        : `demo-${channel}-${thread}-${inboundCount}`
    inboundCount++
    return { kind: 'inbound', thread, item: inboundItem(person, channel, thread, externalId, emailRoot, subject, text, at) }
  }
  /**
   * Whether and how the customer rates the conversation just resolved, drawn from a generator of
   * its own (seeded by the thread and time) so that the rest of the history stays what it was.
   */
  function* rate(): Generator<DemoStep> {
    ratings.seed(seedOf(`${thread}@${at}`))
    if (!ratings.datatype.boolean({ probability: ANSWERS_SURVEY })) return
    const answeredAt = at + ratings.number.int({ min: 2, max: 50 }) * MINUTE
    if (answeredAt > now) return
    const rating = ratings.helpers.weightedArrayElement(RATINGS)
    const texting = channel === 'sms' || channel === 'whatsapp'
    const reply = texting ? inboundItem(person, channel, thread, `demo-${channel}-${thread}-rating-${at}`, emailRoot, subject, String(rating), answeredAt) : null
    yield { kind: 'rating', thread, at: answeredAt, rating, reply }
  }

  /** When the customer writes again, on `on`; null when that is after `now`. */
  const customerAt = (on: Written): number | null => {
    const [min, max] = FOLLOW_UP[on]
    const when = on === 'chat' ? at + minutes([min, max]) : clocks[on].customerMoment(f, at + min * MINUTE, at + max * MINUTE)
    return when <= now ? when : null
  }

  yield inbound(fill(f.helpers.arrayElement(topic.opening)))
  // Within one conversation nobody says the same sentence twice until the topic runs out.
  const nextReply = cycle(f, topic.agentReply)
  const nextFollowUp = cycle(f, topic.followUp)
  const switchTo: Written | null =
    (channel === 'email' || channel === 'chat') && plan.addresses.textsJoin(channel) && f.datatype.boolean({ probability: SWITCH })
      ? f.helpers.arrayElement(['sms', 'whatsapp'] as const)
      : null
  const assigned = !plan.isRecent || f.datatype.boolean({ probability: 0.6 })
  if (!assigned) {
    // Nobody has picked it up yet: at most the customer asks again.
    if (f.datatype.boolean({ probability: 0.3 })) {
      const again = customerAt(channel)
      if (again !== null) {
        at = again
        yield inbound(fill(nextFollowUp()))
      }
    }
    return at
  }
  const picked = agentAt(at, PICKUP[channel])
  if (picked === null) return at
  at = picked
  yield action({ name: 'assign', assigneeEmail: agent.email, team })
  if (f.datatype.boolean({ probability: 0.5 })) yield action({ name: 'label', add: topic.labels })

  /** The agent answers; false when that has not happened by `now`. */
  function* reply(): Generator<DemoStep, boolean> {
    const when = agentAt(at, REPLY[channel])
    if (when === null) return false
    at = when
    if (f.datatype.boolean({ probability: 0.15 })) yield action({ name: 'note', text: fill(f.helpers.arrayElement(topic.agentNote)) })
    yield action({ name: 'reply', text: fill(nextReply()) })
    return true
  }
  /** The customer writes, on another channel if they switch now; false when that has not happened by `now`. */
  function* write(text: string, on: Written): Generator<DemoStep, boolean> {
    const when = customerAt(on)
    if (when === null) return false
    at = when
    channel = on
    plan.addresses.wrote(on)
    yield inbound(text)
    return true
  }

  const exchanges = Math.max(0, Math.round((plan.messagesPerConversation - 1) * f.number.float({ min: 0.4, max: 1.6 })))
  let lastWasCustomer = true
  let lastMessage = at
  for (let i = 0; i < exchanges; i++) {
    if (lastWasCustomer) {
      if (!(yield* reply())) return at
    } else {
      const closing = i === exchanges - 1 && !plan.isRecent
      const switching = switchTo !== null && channel !== switchTo
      const line = fill(closing ? f.helpers.arrayElement(topic.closing) : nextFollowUp())
      const text = switching ? `${f.helpers.arrayElement(SWITCHERS)} ${line}` : line
      if (!(yield* write(text, switching ? switchTo : channel))) return at
    }
    lastWasCustomer = !lastWasCustomer
    lastMessage = at
  }
  if (plan.isRecent) {
    if (!lastWasCustomer && f.datatype.boolean({ probability: 0.4 })) yield action({ name: 'setStatus', status: 'pending' })
    return at
  }

  const resolved = agentAt(at, RESOLVE[channel])
  if (resolved === null) return at
  at = resolved
  yield action({ name: 'setStatus', status: 'resolved' })
  yield* rate()
  if (!f.datatype.boolean({ probability: REOPEN })) return at

  // The customer writes into the same thread within the reopen window, and it starts over.
  const latest = Math.min(at + 4 * DAY, lastMessage + REOPEN_WITHIN)
  if (latest <= at + HOUR) return at
  const back = clocks[channel].customerMoment(f, at + HOUR, latest)
  if (back > now) return at
  at = back
  yield inbound(`${f.helpers.arrayElement(REOPENERS)} ${fill(nextFollowUp())}`)
  if (!(yield* reply())) return at
  const again = agentAt(at, RESOLVE[channel])
  if (again === null) return at
  at = again
  yield action({ name: 'setStatus', status: 'resolved' })
  yield* rate()
  return at
}

function inboundItem(
  person: Person,
  channel: Written,
  thread: string,
  externalId: string,
  emailRoot: string,
  subject: string,
  text: string,
  at: number,
): InboundMessage {
  const base = { channel, inbox: DEMO_INBOXES[channel], externalId, text, sentAt: at }
  switch (channel) {
    case 'email': {
      const isRoot = externalId === emailRoot
      return {
        ...base,
        from: { kind: 'email', address: person.email, name: person.name },
        subject: isRoot ? subject : `Re: ${subject}`,
        ...(isRoot ? {} : { inReplyTo: emailRoot, references: [emailRoot] }),
      }
    }
    case 'chat':
      return {
        ...base,
        from: { kind: 'chat', address: person.visitorId, name: person.name },
        // Signed in on the shop's site, so their email and phone are proven: how the chat,
        // email and phone channels of one person come together, or become a suggested merge.
        alsoKnownAs: [
          { kind: 'email', address: person.email, name: person.name },
          ...(person.phone ? [{ kind: 'phone' as const, address: person.phone, name: person.name }] : []),
        ],
        threadKey: `chat-${thread}`,
      }
    case 'sms':
      return { ...base, from: { kind: 'phone', address: person.phone!, name: person.name } }
    case 'whatsapp':
      return { ...base, from: { kind: 'whatsapp', address: person.phone!, name: person.name } }
  }
}

function cycle<T>(f: Faker, items: readonly T[]): () => T {
  let order: T[] = []
  return () => {
    if (order.length === 0) order = f.helpers.shuffle([...items])
    return order.pop()!
  }
}

/** Fills a topic line's placeholders with values that stay the same within one conversation. */
function filler(f: Faker): (line: string) => string {
  const values: Record<string, string> = {
    order: `#${f.number.int({ min: 10_000, max: 99_999 })}`,
    product: f.helpers.arrayElement(PRODUCTS),
    amount: `$${f.number.int({ min: 12, max: 480 })}.${String(f.number.int({ min: 0, max: 99 })).padStart(2, '0')}`,
    city: f.location.city(),
  }
  return (line) => line.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole)
}

export type { Topic }
