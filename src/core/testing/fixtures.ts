import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Conversation, Customer, EntityName, EntityTypes, Message, Note, User } from '../../shared/domain'
import type { ReportingEvent } from '../../shared/reporting/events'
import type { EntityChange } from '../../shared/sync'

/** Entities and change batches for the core's unit tests, built like the server builds them. */

export function tempDir(prefix = 'threadline-core-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A loopback port nobody listens on: a core pointed at it runs offline. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || !address) throw new Error('no port')
  return address.port
}

export function user(id: string, over: Partial<User> = {}): User {
  return { id, name: `Agent ${id}`, email: `${id}@example.com`, role: 'agent', team: null, inboxes: null, createdAt: 1, ...over }
}

export function customer(id: string, over: Partial<Customer> = {}): Customer {
  return { id, name: `Customer ${id}`, labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1, ...over }
}

export function conversation(id: string, customerId: string, over: Partial<Conversation> = {}): Conversation {
  return {
    id,
    customerId,
    channel: 'email',
    inbox: 'support',
    subject: null,
    status: 'open',
    snoozedUntil: null,
    assigneeId: null,
    team: null,
    threadKey: `thread-${id}`,
    labels: [],
    priority: 'normal',
    previousConversationId: null,
    lastMessageAt: 1,
    waitingSince: null,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  }
}

export function message(id: string, conv: Conversation, sentAt: number, over: Partial<Message> = {}): Message {
  return {
    id,
    conversationId: conv.id,
    customerId: conv.customerId,
    channel: conv.channel,
    direction: 'inbound',
    authorId: null,
    authorName: 'Customer',
    subject: null,
    text: `message ${id}`,
    html: null,
    attachments: [],
    externalId: `ext-${id}`,
    deliveryStatus: 'received',
    deliveryError: null,
    sentAt,
    updatedAt: sentAt,
    ...over,
  }
}

export function note(id: string, conv: Conversation, createdAt: number, over: Partial<Note> = {}): Note {
  return { id, conversationId: conv.id, customerId: conv.customerId, authorId: 'u1', authorName: 'Agent u1', text: `note ${id}`, mentions: [], createdAt, ...over }
}

/** An agent's reply as the server records it: a wait of a minute, half of it in business hours. */
export function reportingEvent(id: string, over: Partial<ReportingEvent> = {}): ReportingEvent {
  return {
    id,
    kind: 'reply',
    conversationId: 'v1',
    customerId: 'c1',
    inbox: 'Support email',
    channel: 'email',
    team: null,
    agentId: 'u1',
    at: 1_000,
    calendarMs: 60_000,
    businessMs: 30_000,
    afterHours: false,
    fromChannel: null,
    rating: null,
    slaTarget: null,
    ...over,
  }
}

/** Numbers upserts consecutively from `firstSeq`, as the server's change log would. */
export function changes(firstSeq: number, items: { [E in EntityName]: [E, EntityTypes[E]] }[EntityName][]): EntityChange[] {
  return items.map(([entity, data], i) => ({ seq: firstSeq + i, entity, id: data.id, op: 'upsert', data }) as EntityChange)
}
