import { newId } from '../../shared/ids'
import type { IpcHandlers } from '../../shared/ipc'
import { getCustomer, getEntity, inboxForNewConversation, listCustomerConversations } from '../db/queries'
import { IpcError } from '../errors'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'

export function callHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'call.addNote' | 'call.log'> {
  return {
    'call.addNote': ({ callId, notes }) => {
      const call = getEntity(ctx.db, 'call', callId)?.current
      if (!call) throw new IpcError('not_found', `Call ${callId} is not in this device's cache.`)
      // The outbox groups actions by conversation (rebase, discard); the call's conversation is its home.
      const row = enqueueAction(ctx.db, { name: 'callNote', args: { callId, notes }, conversationId: call.conversationId, itemId: callId })
      ctx.emit('data.changed', { entities: ['call'], customerIds: [call.customerId] })
      ctx.engine.schedulePush()
      return { mutationId: row.mutationId }
    },
    'call.log': ({ customerId, conversationId: onScreen, ...call }) => {
      if (!getCustomer(ctx.db, customerId)) throw new IpcError('not_found', `Customer ${customerId} is not in this device's cache.`)
      const conversations = listCustomerConversations(ctx.db, customerId)
      // A conversation holds every channel: the call belongs to the matter on screen.
      const home = conversations.find((c) => c.id === onScreen) ?? conversations.find((c) => c.channel === 'voice')
      const conversationId = home?.id ?? newId()
      // A customer who never called gets a voice conversation in the inbox they last wrote to.
      const inbox = home ? undefined : (conversations[0]?.inbox ?? inboxForNewConversation(ctx.db, { customerId, channel: 'voice' }))
      if (!home && !inbox) throw new IpcError('bad_request', 'No inbox is known on this device to log the call in.')
      const callId = newId()
      const args = { callId, conversationId, customerId, ...(inbox ? { inbox } : {}), ...call }
      const row = enqueueAction(ctx.db, { name: 'logCall', args, conversationId, itemId: callId })
      ctx.emit('data.changed', { entities: ['call', 'conversation'], customerIds: [customerId] })
      ctx.engine.schedulePush()
      return { callId, conversationId, mutationId: row.mutationId }
    },
  }
}
