import { newId } from '../../shared/ids'
import type { Channel, EntityName } from '../../shared/domain'
import type { IpcHandlers } from '../../shared/ipc'
import type { MutationName } from '../../shared/mutations'
import { customerUsedChannel, getConversation, getCustomer, getEntity, inboxForNewConversation } from '../db/queries'
import { IpcError } from '../errors'
import { findMove } from '../sync/local-moves'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'

type ActionMethods =
  | 'conversation.reply'
  | 'conversation.start'
  | 'conversation.note'
  | 'conversation.assign'
  | 'conversation.setStatus'
  | 'conversation.label'
  | 'conversation.setPriority'
  | 'conversation.moveItems'
  | 'conversation.split'
  | 'conversation.undoMove'

export function conversationHandlers(ctx: HandlerContext): Pick<IpcHandlers, ActionMethods> {
  /** Queues the action with its optimistic change, tells the UI, and starts sending it. */
  function act(name: MutationName, conversationId: string, args: unknown, itemId: string | null, entities: EntityName[]): number {
    const conversation = getConversation(ctx.db, conversationId)
    if (!conversation) throw new IpcError('not_found', `Conversation ${conversationId} is not in this device's cache.`)
    const row = enqueueAction(ctx.db, { name, args, conversationId, itemId })
    ctx.emit('data.changed', { entities, customerIds: [conversation.customerId] })
    ctx.engine.schedulePush()
    return row.mutationId
  }

  /** The picked items must all be in the conversation they are moved out of, as the cache knows it. */
  function checkPicked(args: { fromConversationId: string; messageIds: string[]; callIds: string[] }): void {
    for (const [entity, ids] of [['message', args.messageIds], ['call', args.callIds]] as const) {
      for (const id of ids) {
        if (getEntity(ctx.db, entity, id)?.current.conversationId !== args.fromConversationId) {
          throw new IpcError('bad_request', `That ${entity} is no longer in the conversation it was picked in; pick again.`)
        }
      }
    }
  }
  const MOVED: EntityName[] = ['conversation', 'message', 'call', 'event']

  /**
   * The server sends on a channel from the inbox the customer last used on it; for a customer
   * who never wrote on it (a caller answered by SMS) it needs one named, as a new conversation does.
   */
  function inboxForFirstUse(conversationId: string, channel: Channel): string | undefined {
    const conversation = getConversation(ctx.db, conversationId)
    if (!conversation || customerUsedChannel(ctx.db, conversation.customerId, channel)) return undefined
    return inboxForNewConversation(ctx.db, { customerId: conversation.customerId, channel }) ?? undefined
  }

  return {
    'conversation.reply': ({ conversationId, ...rest }) => {
      const messageId = newId()
      const inbox = rest.channel ? inboxForFirstUse(conversationId, rest.channel) : undefined
      const args = { messageId, conversationId, ...rest, ...(inbox ? { inbox } : {}) }
      const mutationId = act('reply', conversationId, args, messageId, ['message', 'conversation'])
      return { messageId, mutationId }
    },
    'conversation.start': ({ customerId, channel, inbox: named, ...rest }) => {
      if (!getCustomer(ctx.db, customerId)) throw new IpcError('not_found', `Customer ${customerId} is not in this device's cache.`)
      if (channel === 'email' && !rest.subject) throw new IpcError('bad_request', 'A new email conversation needs a subject.')
      const inbox = named ?? inboxForNewConversation(ctx.db, { customerId, channel })
      if (!inbox) throw new IpcError('bad_request', `No ${channel} inbox is known on this device to start the conversation in.`)
      const conversationId = newId()
      const messageId = newId()
      const args = { messageId, conversationId, customerId, channel, inbox, ...rest }
      // The conversation is created by applying the action, so it is not in the cache before.
      const row = enqueueAction(ctx.db, { name: 'reply', args, conversationId, itemId: messageId })
      ctx.emit('data.changed', { entities: ['message', 'conversation'], customerIds: [customerId] })
      ctx.engine.schedulePush()
      return { conversationId, messageId, mutationId: row.mutationId }
    },
    'conversation.note': ({ conversationId, text, mentions }) => {
      const noteId = newId()
      const mutationId = act('note', conversationId, { noteId, conversationId, text, mentions }, noteId, ['note'])
      return { noteId, mutationId }
    },
    'conversation.assign': (args) => ({ mutationId: act('assign', args.conversationId, args, null, ['conversation']) }),
    'conversation.setStatus': (args) => ({ mutationId: act('setStatus', args.conversationId, args, null, ['conversation']) }),
    'conversation.label': (args) => ({ mutationId: act('label', args.conversationId, args, null, ['conversation']) }),
    'conversation.setPriority': (args) => ({ mutationId: act('setPriority', args.conversationId, args, null, ['conversation']) }),
    'conversation.moveItems': (args) => {
      const from = getConversation(ctx.db, args.fromConversationId)
      const to = getConversation(ctx.db, args.toConversationId)
      if (!to) throw new IpcError('not_found', `Conversation ${args.toConversationId} is not in this device's cache.`)
      if (from && from.customerId !== to.customerId) throw new IpcError('bad_request', 'Messages can only move between conversations of the same customer.')
      checkPicked(args)
      const moveId = newId()
      return { moveId, mutationId: act('moveItems', args.fromConversationId, { moveId, split: false, ...args }, null, MOVED) }
    },
    'conversation.split': (args) => {
      checkPicked(args)
      const moveId = newId()
      const conversationId = newId()
      const mutation = { moveId, split: true, toConversationId: conversationId, ...args }
      return { moveId, conversationId, mutationId: act('moveItems', args.fromConversationId, mutation, null, MOVED) }
    },
    'conversation.undoMove': ({ moveId }) => {
      const move = findMove(ctx.db, moveId)
      if (!move) throw new IpcError('not_found', 'That move is not known on this device.')
      // Queued on the conversation the items came from, where the move itself is queued: they are rebased together.
      return { mutationId: act('undoMove', move.from, { moveId }, null, MOVED) }
    },
  }
}
