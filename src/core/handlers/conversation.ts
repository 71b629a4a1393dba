import { newId } from '../../shared/ids'
import type { EntityName } from '../../shared/domain'
import type { IpcHandlers } from '../../shared/ipc'
import type { MutationName } from '../../shared/mutations'
import { getConversation, getCustomer, inboxForNewConversation } from '../db/queries'
import { IpcError } from '../errors'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'

type ActionMethods =
  | 'conversation.reply'
  | 'conversation.start'
  | 'conversation.note'
  | 'conversation.assign'
  | 'conversation.setStatus'
  | 'conversation.label'

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

  return {
    'conversation.reply': ({ conversationId, ...rest }) => {
      const messageId = newId()
      const mutationId = act('reply', conversationId, { messageId, conversationId, ...rest }, messageId, ['message', 'conversation'])
      return { messageId, mutationId }
    },
    'conversation.start': ({ customerId, channel, ...rest }) => {
      if (!getCustomer(ctx.db, customerId)) throw new IpcError('not_found', `Customer ${customerId} is not in this device's cache.`)
      if (channel === 'email' && !rest.subject) throw new IpcError('bad_request', 'A new email conversation needs a subject.')
      const inbox = inboxForNewConversation(ctx.db, { customerId, channel })
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
    'conversation.note': ({ conversationId, text }) => {
      const noteId = newId()
      const mutationId = act('note', conversationId, { noteId, conversationId, text }, noteId, ['note'])
      return { noteId, mutationId }
    },
    'conversation.assign': (args) => ({ mutationId: act('assign', args.conversationId, args, null, ['conversation']) }),
    'conversation.setStatus': (args) => ({ mutationId: act('setStatus', args.conversationId, args, null, ['conversation']) }),
    'conversation.label': (args) => ({ mutationId: act('label', args.conversationId, args, null, ['conversation']) }),
  }
}
