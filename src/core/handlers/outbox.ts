import type { IpcHandlers, OutboxEntry } from '../../shared/ipc'
import { getConversation, listAllOutbox } from '../db/queries'
import { IpcError } from '../errors'
import { withCacheNotice } from '../sync/cache-notice'
import { discardAction, retryAction } from '../sync/outbox'
import type { HandlerContext } from './context'

export function outboxHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'outbox.list' | 'outbox.retry' | 'outbox.discard' | 'sync.state'> {
  function notQueued(mutationId: number): IpcError {
    return new IpcError('not_found', `Action ${mutationId} is not in the outbox (already sent or discarded).`)
  }
  function changed(conversationId: string): void {
    const customerId = getConversation(ctx.db, conversationId)?.customerId
    ctx.emit('data.changed', { entities: ['conversation', 'message', 'note'], customerIds: customerId ? [customerId] : [] })
  }
  return {
    'outbox.list': ({ state }) =>
      listAllOutbox(ctx.db)
        .filter((row) => state === undefined || row.state === state)
        .map(
          (row): OutboxEntry => ({
            mutationId: row.mutationId,
            state: row.state,
            error: row.error,
            name: row.name,
            conversationId: row.conversationId,
            customerId: getConversation(ctx.db, row.conversationId)?.customerId ?? null,
            itemId: row.itemId,
            args: row.args,
            createdAt: row.createdAt,
          }),
        ),
    'outbox.retry': ({ mutationId }) => {
      const row = retryAction(ctx.db, mutationId)
      if (!row) throw notQueued(mutationId)
      changed(row.conversationId)
      ctx.engine.schedulePush()
      return { ok: true, mutationId: row.mutationId }
    },
    'outbox.discard': ({ mutationId }) => {
      const row = discardAction(ctx.db, mutationId)
      if (!row) throw notQueued(mutationId)
      changed(row.conversationId)
      ctx.engine.schedulePush()
      return { ok: true }
    },
    'sync.state': () => withCacheNotice(ctx.engine.state(), ctx.cacheNotice ?? null),
  }
}
