import type { Channel, ViewFilters } from '../../shared/domain'
import type { ConversationListItem, IpcHandlers } from '../../shared/ipc'
import { getConversation, getEntity, getSyncMeta, inboxCounts, listInbox, markRead, markUnread, type InboxRow } from '../db/queries'
import { viewFilterSql } from '../db/view-queries'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'

const PREVIEW_LENGTH = 160

function previewOf(row: InboxRow): string {
  if (row.lastMessageText) {
    const line = row.lastMessageText.replace(/\s+/g, ' ').trim()
    return line.length > PREVIEW_LENGTH ? `${line.slice(0, PREVIEW_LENGTH - 1)}…` : line
  }
  if (row.lastCallOutcome) return `Call · ${row.lastCallOutcome}`
  return ''
}

type InboxMethods = 'inbox.list' | 'inbox.counts' | 'conversation.markRead' | 'conversation.markUnread'

export function inboxHandlers(ctx: HandlerContext): Pick<IpcHandlers, InboxMethods> {
  const userId = () => getSyncMeta(ctx.db)?.userId ?? null
  function known(conversationId: string) {
    const conversation = getConversation(ctx.db, conversationId)
    if (!conversation) throw new IpcError('not_found', `Conversation ${conversationId} is not in this device's cache.`)
    return conversation
  }
  function savedViewFilters(viewId: string): ViewFilters {
    const view = getEntity(ctx.db, 'savedView', viewId)?.current
    if (!view || view.deletedAt !== null) throw new IpcError('not_found', `View ${viewId} is not in this device's cache (it may have been deleted).`)
    return view.filters
  }
  return {
    'inbox.list': ({ savedView, filters, ...args }) => {
      const me = userId()
      const viewFilters = savedView !== undefined ? savedViewFilters(savedView) : filters
      const narrow = viewFilters ? viewFilterSql(viewFilters, { userId: me, now: Date.now() }) : undefined
      const rows = listInbox(ctx.db, { ...args, userId: me, narrow })
      return rows.map(
        (row): ConversationListItem => ({
          ...row.conversation,
          customerName: row.customerName ?? 'Unknown customer',
          preview: previewOf(row),
          assigneeName: row.assigneeName,
          // Failed actions count too: they have not reached the server either.
          pending: row.hasOutbox,
          unread: row.unread,
        }),
      )
    },
    'inbox.counts': ({ status }) => {
      const counts = inboxCounts(ctx.db, { status, userId: userId() })
      return {
        views: { all: counts.all, mine: counts.mine, unassigned: counts.unassigned },
        teams: counts.teams,
        channels: counts.channels.map((c) => ({ channel: c.channel as Channel, count: c.count })),
        mineUnread: counts.mineUnread,
      }
    },
    'conversation.markRead': ({ conversationId }) => {
      const conversation = known(conversationId)
      markRead(ctx.db, { conversationId, readAt: conversation.lastMessageAt })
      ctx.emit('data.changed', { entities: ['conversation'], customerIds: [] })
      return { ok: true }
    },
    'conversation.markUnread': ({ conversationId }) => {
      known(conversationId)
      markUnread(ctx.db, conversationId)
      ctx.emit('data.changed', { entities: ['conversation'], customerIds: [] })
      return { ok: true }
    },
  }
}
