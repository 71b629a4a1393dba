import { newId } from '../../shared/ids'
import type { ConsentKey, Conversation, Customer, TimelineEvent, User } from '../../shared/domain'
import type { MutationArgs } from '../../shared/mutations'
import type { CustomerMerge, MergeMoved, StoreWriter } from '../store/store'
import { canSeeConversation, canSeeCustomer } from './access'
import { mergedConsent, unmergedConsent } from './merge-consent'
import { applyConsentChange } from '../rules/consent-change'
import { userActor } from '../../shared/actors'
import type { AuditOrigin } from '../../shared/audit'
import { recordAudit } from '../audit/record'

/** Why a mutation cannot apply, that it was applied before, or null when it applied now. */
export type CustomerOutcome = { rejected: string } | { duplicate: true } | null

export interface CustomerCtx {
  w: StoreWriter
  user: User
  now: number
  /** How the action reached the server, for the audit log. */
  origin: AuditOrigin
}

/** The customer, when the user may see them; one refusal for unknown and out of reach, so ids reveal nothing. */
async function customerOrReject({ w, user }: Pick<CustomerCtx, 'w' | 'user'>, id: string): Promise<Customer | { rejected: string }> {
  const customer = await w.getCustomer(id)
  return customer && await canSeeCustomer(w, user, id) ? customer : { rejected: `unknown customer ${id}` }
}

export async function customerLabel(ctx: CustomerCtx, args: MutationArgs<'customerLabel'>): Promise<CustomerOutcome> {
  const { w, now } = ctx
  const customer = await customerOrReject(ctx, args.customerId)
  if ('rejected' in customer) return customer
  const labels = customer.labels.filter((l) => !args.remove.includes(l))
  for (const l of args.add) if (!labels.includes(l)) labels.push(l)
  if (labels.length === customer.labels.length && labels.every((l, i) => customer.labels[i] === l)) return null
  await w.put('customer', { ...customer, labels, updatedAt: now })
  return null
}

/** An agent who checked a claimed address with the customer proves it for everyone: it links from now on. */
export async function verifyIdentity({ w, user }: CustomerCtx, args: MutationArgs<'verifyIdentity'>): Promise<CustomerOutcome> {
  const identity = await w.getIdentity(args.identityId)
  if (!identity || !await canSeeCustomer(w, user, identity.customerId)) return { rejected: `unknown identity ${args.identityId}` }
  if (!identity.unverified) return null
  await w.put('identity', { ...identity, unverified: null })
  return null
}

/** An agent records the customer's word on consent; it stands like one the customer sent by keyword. */
export async function setConsent(ctx: CustomerCtx, args: MutationArgs<'setConsent'>): Promise<CustomerOutcome> {
  const { w, user, now } = ctx
  const customer = await customerOrReject(ctx, args.customerId)
  if ('rejected' in customer) return customer
  const conversation = await w.getConversation(args.conversationId)
  if (!conversation || conversation.customerId !== customer.id || !canSeeConversation(user, conversation)) {
    return { rejected: `conversation ${args.conversationId} is not one of this customer's that you can see` }
  }
  await applyConsentChange(w, {
    customerId: customer.id,
    conversationId: conversation.id,
    changes: args.changes,
    source: { via: 'agent', ...(args.note ? { note: args.note } : {}) },
    actor: userActor(user.id),
    now,
    origin: ctx.origin,
  })
  return null
}

export async function dismissSuggestion({ w, user }: CustomerCtx, args: MutationArgs<'dismissSuggestion'>): Promise<CustomerOutcome> {
  const suggestion = await w.getCustomerSuggestion(args.suggestionId)
  if (!suggestion || !await canSeeCustomer(w, user, suggestion.customerId)) return { rejected: `unknown suggestion ${args.suggestionId}` }
  if (suggestion.status !== 'open') return null
  await w.setSuggestionStatus(suggestion.id, 'dismissed')
  // The suggestion reaches clients only through its events, so they carry the decision.
  for (const event of await w.suggestionEvents(suggestion.id)) await w.put('event', { ...event, data: { ...event.data, status: 'dismissed' } })
  return null
}

/**
 * Re-homes a conversation and everything in it: every item carries its customer id, and the
 * timelines (server and caches) read items by customer.
 */
async function moveConversation(
  w: StoreWriter,
  conversation: Conversation,
  customerId: string,
  now: number,
  patchEvent: (e: TimelineEvent) => TimelineEvent = (e) => e,
): Promise<void> {
  await w.put('conversation', { ...conversation, customerId, updatedAt: now })
  const items = await w.conversationItems(conversation.id)
  for (const m of items.messages) await w.put('message', { ...m, customerId })
  for (const n of items.notes) await w.put('note', { ...n, customerId })
  for (const c of items.calls) await w.put('call', { ...c, customerId })
  for (const e of items.events) await w.put('event', patchEvent({ ...e, customerId }))
}

export async function mergeCustomers(ctx: CustomerCtx, args: MutationArgs<'mergeCustomers'>): Promise<CustomerOutcome> {
  const { w, user, now } = ctx
  const existing = await w.getCustomerMerge(args.mergeId)
  if (existing) {
    return existing.sourceId === args.sourceId && existing.targetId === args.targetId
      ? { duplicate: true }
      : { rejected: `merge id ${args.mergeId} is already taken` }
  }
  const source = await customerOrReject(ctx, args.sourceId)
  if ('rejected' in source) return source
  const target = await customerOrReject(ctx, args.targetId)
  if ('rejected' in target) return target
  if (source.mergedInto) return { rejected: `${source.name} is already merged into another customer` }
  if (target.mergedInto) return { rejected: `${target.name} is merged into another customer; merge into that one instead` }
  const conversations = await w.conversationsOf(source.id)
  const hidden = conversations.filter((c) => !canSeeConversation(user, c))
  if (hidden.length > 0) {
    return { rejected: `${source.name} has ${hidden.length} conversation(s) in inboxes you cannot access; a supervisor can merge them` }
  }
  const identities = await w.identitiesOf(source.id)

  // The target keeps its own profile and gains only what it did not have. Consent is the
  // person's latest word per key across both records (see mergedConsent).
  const labels = [...target.labels]
  const gainedLabels = source.labels.filter((l) => !labels.includes(l))
  labels.push(...gainedLabels)
  const attributes = { ...target.attributes }
  const gainedKeys = Object.keys(source.attributes).filter((k) => !(k in attributes))
  for (const k of gainedKeys) attributes[k] = source.attributes[k] ?? null
  const consentBefore = { consent: target.consent, consentChangedAt: target.consentChangedAt ?? null }
  const consentAfter = mergedConsent(consentBefore, source)
  const changedKeys = (Object.keys(consentAfter.consent) as ConsentKey[]).filter((k) => consentAfter.consent[k] !== target.consent[k])
  const moved: MergeMoved = {
    identityIds: identities.map((i) => i.id),
    conversationIds: conversations.map((c) => c.id),
    labels: gainedLabels,
    attributeKeys: gainedKeys,
    consent: Object.fromEntries(changedKeys.map((k) => [k, target.consent[k] ?? null])),
    targetConsent: { before: consentBefore, after: consentAfter },
  }

  for (const identity of identities) await w.put('identity', { ...identity, customerId: target.id })
  for (const conversation of conversations) await moveConversation(w, conversation, target.id, now)
  await w.put('customer', {
    ...target,
    labels,
    attributes,
    ...consentAfter,
    lastActivityAt: Math.max(target.lastActivityAt, source.lastActivityAt),
    updatedAt: now,
  })
  await w.put('customer', { ...source, mergedInto: target.id, updatedAt: now })
  for (const s of await w.settleSuggestionsBetween(source.id, target.id, 'accepted')) {
    for (const event of await w.suggestionEvents(s.id)) await w.put('event', { ...event, data: { ...event.data, status: 'accepted' } })
  }
  for (const conversation of conversations) {
    await w.put('event', {
      id: newId(),
      conversationId: conversation.id,
      customerId: target.id,
      type: 'customer_merged',
      actorId: user.id,
      data: {
        mergeId: args.mergeId,
        sourceId: source.id,
        sourceName: source.name,
        targetId: target.id,
        targetName: target.name,
        identities: identities.length,
        conversations: conversations.length,
      },
      createdAt: now,
    })
  }
  await w.addCustomerMerge({
    id: args.mergeId,
    sourceId: source.id,
    targetId: target.id,
    moved,
    mergedBy: user.id,
    mergedAt: now,
    undoneAt: null,
  })
  await auditMerge(ctx, 'customer.merged', { id: args.mergeId, sourceId: source.id, targetId: target.id })
  return null
}

/**
 * Moves back what the merge moved: its identities and conversations (with whatever arrived in
 * those conversations since), and the profile fields the target gained, unless an agent has
 * changed them after the merge. Conversations and identities the target got later stay.
 */
export async function unmergeCustomers(ctx: CustomerCtx, args: MutationArgs<'unmergeCustomers'>): Promise<CustomerOutcome> {
  const { w, user, now } = ctx
  const merge = await w.getCustomerMerge(args.mergeId)
  if (!merge) return { rejected: `unknown merge ${args.mergeId}` }
  if (merge.undoneAt !== null) return { duplicate: true }
  // The source has no conversations left to be seen through: the target, which holds them, decides.
  const source = await w.getCustomer(merge.sourceId)
  if (!source) return { rejected: `unknown customer ${merge.sourceId}` }
  const target = await customerOrReject(ctx, merge.targetId)
  if ('rejected' in target) return target
  if (target.mergedInto) return { rejected: `${target.name} has since been merged into another customer; undo that merge first` }
  const conversations: Conversation[] = []
  for (const id of merge.moved.conversationIds) {
    const conversation = await w.getConversation(id)
    if (conversation !== null && conversation.customerId === target.id) conversations.push(conversation)
  }
  const hidden = conversations.filter((c) => !canSeeConversation(user, c))
  if (hidden.length > 0) {
    return { rejected: `the merge moved ${hidden.length} conversation(s) in inboxes you cannot access; a supervisor can undo it` }
  }
  const movedIdentities = new Set(merge.moved.identityIds)
  for (const identity of await w.identitiesOf(target.id)) {
    if (movedIdentities.has(identity.id)) await w.put('identity', { ...identity, customerId: source.id })
  }
  for (const conversation of conversations) {
    await moveConversation(w, conversation, source.id, now, (e) =>
      e.type === 'customer_merged' && e.data.mergeId === merge.id ? { ...e, data: { ...e.data, undoneAt: now, undoneBy: user.id } } : e,
    )
  }
  const gained = new Set(merge.moved.labels)
  const attributes = { ...target.attributes }
  for (const k of merge.moved.attributeKeys) if (attributes[k] === source.attributes[k]) delete attributes[k]
  const consent = merge.moved.targetConsent
    ? unmergedConsent({ target, source }, merge.moved.targetConsent)
    : { target: legacyUnmergedConsent(target, source, merge.moved.consent), source }
  await w.put('customer', { ...target, labels: target.labels.filter((l) => !gained.has(l)), attributes, ...consent.target, updatedAt: now })
  await w.put('customer', { ...source, ...consent.source, mergedInto: null, updatedAt: now })
  await w.markMergeUndone(merge.id, now)
  await auditMerge(ctx, 'customer.unmerged', merge)
  return null
}

/** A merge and its undo name the record merged away, with the one it went into. */
function auditMerge(
  { w, user, now, origin }: CustomerCtx,
  action: 'customer.merged' | 'customer.unmerged',
  merge: Pick<CustomerMerge, 'id' | 'sourceId' | 'targetId'>,
): Promise<unknown> {
  return recordAudit(
    w,
    {
      actor: userActor(user.id),
      action,
      target: { type: 'customer', id: merge.sourceId },
      origin,
      details: { otherCustomerId: merge.targetId, mergeId: merge.id },
    },
    now,
  )
}

/** The undo of a merge recorded before it kept the target's consent times: values only. */
function legacyUnmergedConsent(target: Customer, source: Customer, before: MergeMoved['consent']): Pick<Customer, 'consent'> {
  const consent = { ...target.consent }
  for (const [key, value] of Object.entries(before) as [ConsentKey, boolean | null][]) {
    if (consent[key] !== source.consent[key]) continue
    if (value === null) delete consent[key]
    else consent[key] = value
  }
  return { consent }
}
