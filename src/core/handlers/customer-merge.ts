import { newId } from '../../shared/ids'
import { consentHistory } from '../../shared/consent-history'
import type { Customer, TimelineEvent } from '../../shared/domain'
import type { CustomerMergeItem, CustomerRelated, CustomerSuggestionItem, IpcHandlers } from '../../shared/ipc'
import type { MutationName } from '../../shared/mutations'
import {
  countConversationItems,
  getCustomer,
  getEntity,
  listCustomerConversations,
  listCustomerEvents,
  listIdentities,
  listOutboxByName,
} from '../db/queries'
import { IpcError } from '../errors'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'

type Methods =
  | 'customer.related'
  | 'customer.mergePreview'
  | 'customer.merge'
  | 'customer.unmerge'
  | 'customer.label'
  | 'customer.dismissSuggestion'
  | 'customer.verifyIdentity'
  | 'customer.consentHistory'
  | 'customer.setConsent'

/**
 * Customer-level actions. They are not applied optimistically: a merge re-homes whole
 * timelines, and guessing that locally would show a history the server may refuse to move.
 * The panel shows them as pending until the server's changes arrive (seconds when online).
 * Their outbox rows carry no conversation (''), so the conversation rebase ignores them.
 */
export function customerMergeHandlers(ctx: HandlerContext): Pick<IpcHandlers, Methods> {
  function customerOrThrow(id: string): Customer {
    const customer = getCustomer(ctx.db, id)
    if (!customer) throw new IpcError('not_found', `Customer ${id} is not in this device's cache.`)
    return customer
  }

  function queue(name: MutationName, args: unknown, customerIds: string[]): number {
    const row = enqueueAction(ctx.db, { name, args, conversationId: '', itemId: null })
    ctx.emit('data.changed', { entities: ['customer'], customerIds })
    ctx.engine.schedulePush()
    return row.mutationId
  }

  function suggestionsOf(customerId: string): CustomerSuggestionItem[] {
    const items = new Map<string, CustomerSuggestionItem>()
    for (const e of listCustomerEvents(ctx.db, { customerId, type: 'identity_suggested' })) {
      const d = e.data
      if (typeof d.suggestionId !== 'string' || typeof d.suggestedCustomerId !== 'string') continue
      if (d.status !== undefined && d.status !== 'open') continue
      if (items.has(d.suggestionId)) continue
      const candidate = getCustomer(ctx.db, d.suggestedCustomerId)
      // Not in the cache: in inboxes this user may not see, so nothing they could merge. A
      // candidate merged away since is no longer a separate record to merge.
      if (!candidate || candidate.mergedInto) continue
      items.set(d.suggestionId, {
        suggestionId: d.suggestionId,
        conversationId: e.conversationId,
        candidateId: d.suggestedCustomerId,
        candidateName: candidate.name,
        candidate,
        detail: typeof d.detail === 'string' ? d.detail : '',
        at: e.createdAt,
      })
    }
    return [...items.values()]
  }

  function mergeItem(e: TimelineEvent): CustomerMergeItem | null {
    const d = e.data
    if (typeof d.mergeId !== 'string' || typeof d.sourceId !== 'string' || typeof d.targetId !== 'string') return null
    return {
      mergeId: d.mergeId,
      sourceId: d.sourceId,
      sourceName: typeof d.sourceName === 'string' ? d.sourceName : 'Customer',
      targetId: d.targetId,
      targetName: typeof d.targetName === 'string' ? d.targetName : 'Customer',
      identities: typeof d.identities === 'number' ? d.identities : 0,
      conversations: typeof d.conversations === 'number' ? d.conversations : 0,
      at: e.createdAt,
    }
  }

  /** Merges still in effect that involve the customer: into it (its events) or out of it (its merged record). */
  function mergesOf(customer: Customer): CustomerMergeItem[] {
    const holder = customer.mergedInto ?? customer.id
    const merges = new Map<string, CustomerMergeItem>()
    for (const e of listCustomerEvents(ctx.db, { customerId: holder, type: 'customer_merged' })) {
      if (e.data.undoneAt !== undefined) continue
      const item = mergeItem(e)
      if (!item || merges.has(item.mergeId)) continue
      if (item.targetId === customer.id || item.sourceId === customer.id) merges.set(item.mergeId, item)
    }
    return [...merges.values()]
  }

  return {
    'customer.related': ({ customerId }): CustomerRelated => {
      const customer = customerOrThrow(customerId)
      const pending = listOutboxByName(ctx.db, ['mergeCustomers', 'unmergeCustomers'])
        .filter((row) => {
          const a = row.args as { sourceId?: string; targetId?: string; mergeId?: string }
          return a.sourceId === customerId || a.targetId === customerId || row.name === 'unmergeCustomers'
        })
        .map((row) => ({
          mutationId: row.mutationId,
          name: row.name as 'mergeCustomers' | 'unmergeCustomers',
          state: row.state,
          error: row.error,
        }))
      return { suggestions: customer.mergedInto ? [] : suggestionsOf(customerId), merges: mergesOf(customer), pending }
    },
    'customer.mergePreview': ({ sourceId, targetId }) => {
      const source = customerOrThrow(sourceId)
      const target = customerOrThrow(targetId)
      const conversations = listCustomerConversations(ctx.db, sourceId)
      return {
        source,
        target,
        identities: listIdentities(ctx.db, sourceId),
        conversations,
        ...countConversationItems(
          ctx.db,
          conversations.map((c) => c.id),
        ),
      }
    },
    'customer.merge': ({ sourceId, targetId }) => {
      const source = customerOrThrow(sourceId)
      const target = customerOrThrow(targetId)
      if (source.mergedInto) throw new IpcError('bad_request', `${source.name} is already merged into another customer.`)
      if (target.mergedInto) throw new IpcError('bad_request', `${target.name} is merged into another customer; merge into that one instead.`)
      const mergeId = newId()
      return { mergeId, mutationId: queue('mergeCustomers', { mergeId, sourceId, targetId }, [sourceId, targetId]) }
    },
    'customer.unmerge': ({ mergeId }) => ({ mutationId: queue('unmergeCustomers', { mergeId }, []) }),
    'customer.label': (args) => {
      customerOrThrow(args.customerId)
      return { mutationId: queue('customerLabel', args, [args.customerId]) }
    },
    'customer.dismissSuggestion': ({ suggestionId }) => ({ mutationId: queue('dismissSuggestion', { suggestionId }, []) }),
    'customer.verifyIdentity': ({ identityId }) => {
      const identity = getEntity(ctx.db, 'identity', identityId)?.current
      if (!identity) throw new IpcError('not_found', `Address ${identityId} is not in this device's cache.`)
      return { mutationId: queue('verifyIdentity', { identityId }, [identity.customerId]) }
    },
    'customer.consentHistory': ({ customerId }) =>
      consentHistory([
        ...listCustomerEvents(ctx.db, { customerId, type: 'consent_changed' }),
        ...listCustomerEvents(ctx.db, { customerId, type: 'consent_superseded' }),
      ]),
    'customer.setConsent': ({ customerId, conversationId, changes, note }) => {
      customerOrThrow(customerId)
      const conversation = conversationId ?? listCustomerConversations(ctx.db, customerId)[0]?.id
      if (!conversation) throw new IpcError('bad_request', 'This customer has no conversation on this device to record the change in.')
      return { mutationId: queue('setConsent', { customerId, conversationId: conversation, changes, ...(note ? { note } : {}) }, [customerId]) }
    },
  }
}
