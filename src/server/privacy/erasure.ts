import type { Conversation, Customer, Identity, User } from '../../shared/domain'
import type { Erasure, RestoreResult } from '../../shared/privacy'
import { hasRole, isAdmin } from '../../shared/roles'
import { actorId, systemActor } from '../../shared/actors'
import { SERVER_ORIGIN } from '../audit/origin'
import { recordAudit, type AuditEvent } from '../audit/record'
import { NotFoundError } from '../connectors/delivery'
import { ConflictError } from '../errors'
import { ForbiddenError } from '../http/errors'
import type { HeldEntity, StoreReader, StoreWriter } from '../store/store'
import { canSeeInbox } from '../sync/access'

/**
 * Erasing a customer, and restoring them within the grace period. An erasure is one write: the
 * customer's rows leave every table (so no read, pull, search or identity lookup finds them
 * again), their changes become tombstones, and a delete of the customer tells every client to
 * drop them. The rows wait, held, until purge.ts removes them for good.
 *
 * A message arriving from one of their addresses meanwhile finds no identity and starts a new
 * customer: an erased customer is never brought back by their own messages. A restore leaves
 * such an address with the new customer.
 */

const DAY_MS = 86_400_000

/** Who asks: a user (REST, the app), or null for the server's operator (the CLI). */
export type Requester = User | null

/** Who the audit log names for it, and how the request arrived. */
export type AuditedBy = Pick<AuditEvent, 'actor' | 'origin'>

/** The server's own scheduled work (a retention policy's run). */
const BY_SERVER: AuditedBy = { actor: systemActor('server'), origin: SERVER_ORIGIN }

/**
 * Admins may erase anyone; a supervisor, a customer all of whose conversations they may see
 * (an erasure takes conversations of every inbox with it). Agents may not.
 */
async function mayErase(r: StoreReader, user: Requester, customerId: string, conversations: readonly Conversation[], what: string): Promise<void> {
  if (user === null || isAdmin(user)) return
  if (!hasRole(user, 'supervisor')) throw new ForbiddenError(`only supervisors and admins may ${what} a customer`)
  if (user.inboxes !== null && !(await r.customerVisible(customerId, user.inboxes)) && conversations.length > 0) {
    throw new NotFoundError(`unknown customer ${customerId}`)
  }
  const hidden = conversations.filter((c) => !canSeeInbox(user, c.inbox))
  if (hidden.length > 0) {
    throw new ForbiddenError(`the customer has conversations in inboxes you may not see (${[...new Set(hidden.map((c) => c.inbox))].join(', ')}): ask an admin`)
  }
}

/** The customer and, following merges, every record merged into them. */
async function recordsOf(r: StoreReader, customer: Customer): Promise<Customer[]> {
  const records = [customer]
  for (let i = 0; i < records.length; i++) records.push(...(await r.customersMergedInto(records[i]!.id)))
  return records
}

/** Every row of these customer records, in the order a restore puts them back. */
async function rowsOf(r: StoreReader, records: readonly Customer[]): Promise<HeldEntity[]> {
  const ids = new Set(records.map((c) => c.id))
  const identities: Identity[] = []
  const conversations: Conversation[] = []
  const items: HeldEntity[] = []
  const summaries: HeldEntity[] = []
  const seen = new Set<string>()
  for (const record of records) {
    identities.push(...(await r.identitiesOf(record.id)))
    conversations.push(...(await r.conversationsOf(record.id)))
    for (const summary of await r.summariesOf(record.id)) summaries.push({ entity: 'summary', data: summary })
  }
  for (const conversation of conversations) {
    const { messages, notes, calls, events } = await r.conversationItems(conversation.id)
    items.push(
      ...messages.map((data): HeldEntity => ({ entity: 'message', data })),
      ...notes.map((data): HeldEntity => ({ entity: 'note', data })),
      ...calls.map((data): HeldEntity => ({ entity: 'call', data })),
      ...events.map((data): HeldEntity => ({ entity: 'event', data })),
    )
    for (const e of events) seen.add(e.id)
  }
  // Another customer's timeline may name them: the suggestion that they are the same person.
  for (const record of records) {
    for (const suggestion of await r.customerSuggestions(record.id)) {
      for (const event of await r.suggestionEvents(suggestion.id)) {
        if (ids.has(event.customerId) || seen.has(event.id)) continue
        seen.add(event.id)
        items.push({ entity: 'event', data: event })
      }
    }
  }
  return [
    ...records.map((data): HeldEntity => ({ entity: 'customer', data })),
    ...identities.map((data): HeldEntity => ({ entity: 'identity', data })),
    ...conversations.map((data): HeldEntity => ({ entity: 'conversation', data })),
    ...items,
    ...summaries,
  ]
}

export interface EraseArgs {
  customerId: string
  user: Requester
  /** Absent: the server's own scheduled work. */
  by?: AuditedBy
  /** A legal request: purged at once, not restorable. */
  immediate: boolean
  graceDays: number
  now: number
}

export async function eraseCustomer(w: StoreWriter, args: EraseArgs): Promise<Erasure> {
  const customer = await w.getCustomer(args.customerId)
  if (!customer) {
    if (await w.getErasure(args.customerId)) throw new ConflictError(`customer ${args.customerId} is already erased; the purge is pending`)
    throw new NotFoundError(`unknown customer ${args.customerId}`)
  }
  if (customer.mergedInto) {
    throw new ConflictError(`customer ${customer.id} was merged into ${customer.mergedInto}: erase that customer, which holds their conversations now`)
  }
  const records = await recordsOf(w, customer)
  const rows = await rowsOf(w, records)
  await mayErase(w, args.user, customer.id, conversationsIn(rows), 'erase')
  const erasure: Erasure = {
    customerId: customer.id,
    customerIds: records.map((c) => c.id),
    name: customer.name,
    // Without a user: the CLI ('cli') or the server's own work ('retention').
    requestedBy: args.user?.id ?? actorId((args.by ?? BY_SERVER).actor),
    requestedAt: args.now,
    purgeAt: args.immediate ? args.now : args.now + args.graceDays * DAY_MS,
    immediate: args.immediate,
  }
  await w.holdErasure(erasure, rows)
  await recordAudit(w, {
    ...(args.by ?? BY_SERVER),
    action: 'customer.erased',
    target: { type: 'customer', id: customer.id },
    details: { purgeAt: erasure.purgeAt, immediate: erasure.immediate },
  }, args.now)
  return erasure
}

const conversationsIn = (rows: readonly HeldEntity[]): Conversation[] =>
  rows.filter((r): r is HeldEntity<'conversation'> => r.entity === 'conversation').map((r) => r.data)

/**
 * Puts every held row back through put(), so each is a new change every client pulls (they
 * dropped their copies). What a new customer took during the grace period stays theirs.
 */
export async function restoreCustomer(w: StoreWriter, args: { customerId: string; user: Requester; by: AuditedBy }): Promise<RestoreResult> {
  const erasure = await w.getErasure(args.customerId)
  if (!erasure) throw new NotFoundError(`no erasure of customer ${args.customerId} is pending`)
  if (erasure.immediate) throw new ConflictError(`customer ${args.customerId} was erased at once on a legal request: it cannot be restored`)
  const held = await w.heldEntities(args.customerId)
  await mayErase(w, args.user, args.customerId, conversationsIn(held), 'restore')
  const result: RestoreResult = { customerId: args.customerId, restored: 0, identitiesSkipped: [], itemsSkipped: [] }
  for (const row of held) {
    if (row.entity === 'identity') {
      const identity = row.data as Identity
      if (await w.findIdentity(identity.kind, identity.address)) {
        result.identitiesSkipped.push(identity.id)
        continue
      }
    }
    if (await arrivedAgain(w, row)) {
      result.itemsSkipped.push(row.data.id)
      continue
    }
    await w.put(row.entity, row.data)
    result.restored += 1
  }
  await w.releaseErasure(args.customerId)
  await recordAudit(w, { ...args.by, action: 'customer.restored', target: { type: 'customer', id: args.customerId }, details: { count: result.restored } })
  return result
}

/** A message or call whose channel id came in again while they were erased: it is the new customer's now. */
async function arrivedAgain(r: StoreReader, row: HeldEntity): Promise<boolean> {
  if (row.entity === 'message') {
    const m = row.data as HeldEntity<'message'>['data']
    return m.externalId !== null && (await r.messageByExternalId(m.channel, m.externalId)) !== null
  }
  if (row.entity === 'call') {
    const c = row.data as HeldEntity<'call'>['data']
    return c.externalId !== null && (await r.callByExternalId(c.externalId)) !== null
  }
  return false
}
