import { Faker, en } from '@faker-js/faker'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import type { Channel, ConversationStatus, Role } from '../../shared/domain'
import type { InboundMessage } from '../../shared/ingest'
import { PRODUCTS, TOPICS, type Topic } from './topics'

/**
 * A deterministic multi-channel support history. The same seed and size always give the
 * same customers, texts and order; timestamps are offsets from `now`. Steps stream out of a
 * generator so a million-message benchmark dataset never sits in memory.
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
  { name: 'Dana Whitfield', email: 'dana@threadline.demo', role: 'admin', team: null },
]

/** The agent the desktop app signs in as when started with the demo. */
export const DEMO_AGENT_EMAIL = 'alex@threadline.demo'

const DAY = 86_400_000
const MINUTE = 60_000
const BILLING_LABELS = new Set(['billing', 'refund', 'payments', 'subscription'])

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

  for (let index = 0; index < customers; index++) {
    const person = makePerson(f, index)
    const reachable: Channel[] = person.phone ? ['email', 'chat', 'sms', 'whatsapp', 'voice'] : ['email', 'chat']
    const count = Math.max(1, Math.round(conversationsPerCustomer * (0.5 + f.number.float({ min: 0, max: 1 }))))
    // Conversations of one customer follow each other in time, oldest first.
    let at = now - f.number.int({ min: 20 * DAY, max: 90 * DAY })
    const gap = Math.floor((now - at) / (count + 1))
    // About a third of customers have a conversation still going on: that is the open queue.
    const hasOngoing = f.datatype.boolean({ probability: 0.35 })
    for (let n = 0; n < count; n++) {
      at += f.number.int({ min: Math.floor(gap / 2), max: gap })
      const isRecent = hasOngoing && n === count - 1
      if (isRecent) at = Math.max(at, now - f.number.int({ min: 6 * 60 * MINUTE, max: 3 * DAY }))
      const channel = n < reachable.length && count >= reachable.length ? reachable[n]! : f.helpers.arrayElement(reachable)
      yield* conversation(f, { person, channel, thread: `${index}-${n}`, at, agents, isRecent, messagesPerConversation })
    }
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
  channel: Channel
  thread: string
  at: number
  agents: DemoAgent[]
  isRecent: boolean
  messagesPerConversation: number
}

function* conversation(f: Faker, plan: ConversationPlan): Generator<DemoStep> {
  const { person, channel, thread } = plan
  const topic = f.helpers.arrayElement(TOPICS)
  const fill = filler(f)
  const subject = fill(topic.subject)
  const team = topic.labels.some((l) => BILLING_LABELS.has(l)) ? 'Billing' : 'Support'
  const teamAgents = plan.agents.filter((a) => a.team === team)
  const agent = f.helpers.arrayElement(teamAgents.length ? teamAgents : plan.agents)
  let at = plan.at
  const action = (a: DemoAction): DemoStep => ({ kind: 'action', thread, agentEmail: agent.email, at, action: a })

  if (channel === 'voice') {
    const answered = f.datatype.boolean({ probability: 0.8 })
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
    at += durationSeconds * 1_000 + MINUTE
    yield action({ name: 'assign', assigneeEmail: agent.email, team })
    at += MINUTE
    if (answered) yield action({ name: 'note', text: `Call: ${fill(f.helpers.arrayElement(topic.agentReply))}` })
    at += MINUTE
    if (!plan.isRecent) yield action({ name: 'setStatus', status: 'resolved' })
    return
  }

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

  yield inbound(fill(f.helpers.arrayElement(topic.opening)))
  // Within one conversation nobody says the same sentence twice until the topic runs out.
  const nextReply = cycle(f, topic.agentReply)
  const nextFollowUp = cycle(f, topic.followUp)
  const assigned = !plan.isRecent || f.datatype.boolean({ probability: 0.6 })
  at += f.number.int({ min: 2, max: 90 }) * MINUTE
  if (assigned) yield action({ name: 'assign', assigneeEmail: agent.email, team })
  if (f.datatype.boolean({ probability: 0.5 })) yield action({ name: 'label', add: topic.labels })
  const exchanges = Math.max(0, Math.round((plan.messagesPerConversation - 1) * f.number.float({ min: 0.4, max: 1.6 })))
  let lastWasCustomer = true
  for (let i = 0; i < exchanges; i++) {
    // Ongoing conversations move fast enough to stay before `now`.
    at += f.number.int({ min: 1, max: channel === 'chat' ? 5 : plan.isRecent ? 30 : 240 }) * MINUTE
    if (plan.isRecent && i === exchanges - 1 && !assigned) break // leave the newest ones waiting
    if (lastWasCustomer && assigned) {
      if (f.datatype.boolean({ probability: 0.15 })) yield action({ name: 'note', text: fill(f.helpers.arrayElement(topic.agentNote)) })
      yield action({ name: 'reply', text: fill(nextReply()) })
      lastWasCustomer = false
    } else {
      const closing = i === exchanges - 1 && !plan.isRecent
      yield inbound(fill(closing ? f.helpers.arrayElement(topic.closing) : nextFollowUp()))
      lastWasCustomer = true
    }
  }
  if (!plan.isRecent) {
    at += f.number.int({ min: 5, max: 600 }) * MINUTE
    yield action({ name: 'setStatus', status: 'resolved' })
  } else if (assigned && !lastWasCustomer && f.datatype.boolean({ probability: 0.4 })) {
    yield action({ name: 'setStatus', status: 'pending' })
  }
}

function inboundItem(
  person: Person,
  channel: Exclude<Channel, 'voice'>,
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
