import type { IpcHandlers } from '../../shared/ipc'
import type { HandlerContext } from './context'

/** Ephemeral presence (collisions, who is online) and the manual reconnect: nothing here touches the cache. */
export function presenceHandlers(
  ctx: HandlerContext,
): Pick<IpcHandlers, 'presence.viewing' | 'presence.typing' | 'presence.agents' | 'presence.away' | 'sync.retryNow'> {
  return {
    'presence.viewing': ({ conversationId }) => {
      ctx.engine.setViewing(conversationId)
      return { ok: true }
    },
    'presence.typing': ({ conversationId, typing }) => {
      ctx.engine.setTyping(conversationId, typing)
      return { ok: true }
    },
    'presence.agents': () => ctx.engine.agentStatuses(),
    'presence.away': ({ away }) => {
      ctx.engine.setAway(away)
      return { ok: true }
    },
    'sync.retryNow': () => {
      ctx.engine.retryNow()
      return { ok: true }
    },
  }
}
