import type { IpcHandlers } from '../../shared/ipc'
import { countUnreadMentions, getSyncMeta, listMentions, markMentionsRead } from '../db/queries'
import { mentionItem } from '../sync/inbound-notify'
import type { HandlerContext } from './context'

export function mentionHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'mentions.list' | 'mentions.markRead'> {
  const userId = () => getSyncMeta(ctx.db)?.userId ?? null
  return {
    'mentions.list': ({ limit }) => {
      const me = userId()
      if (!me) return { items: [], unread: 0 }
      return { items: listMentions(ctx.db, { userId: me, limit }).map(mentionItem), unread: countUnreadMentions(ctx.db, me) }
    },
    'mentions.markRead': ({ noteIds }) => {
      const me = userId()
      if (me) markMentionsRead(ctx.db, { userId: me, noteIds: noteIds ?? null, readAt: Date.now() })
      return { ok: true }
    },
  }
}
