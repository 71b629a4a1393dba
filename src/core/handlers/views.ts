import { newId } from '../../shared/ids'
import type { SavedView } from '../../shared/domain'
import type { IpcHandlers, OutboxState, SavedViewItem } from '../../shared/ipc'
import { getEntity, getSyncMeta, getUser, listOutboxByName } from '../db/queries'
import { countMatching, listVisibleViews } from '../db/view-queries'
import { IpcError } from '../errors'
import { VIEW_ACTIONS } from '../sync/local-views'
import { enqueueAction } from '../sync/outbox'
import type { HandlerContext } from './context'

type ViewMethods = 'views.list' | 'views.save' | 'views.delete' | 'views.counts'

/**
 * Saved views: queued and shown at once like every action, so they work offline. The server
 * decides who may share with which team; its refusal stays on the view until discarded.
 */
export function viewHandlers(ctx: HandlerContext): Pick<IpcHandlers, ViewMethods> {
  const me = () => {
    const userId = getSyncMeta(ctx.db)?.userId ?? null
    return { userId, team: userId ? (getUser(ctx.db, userId)?.team ?? null) : null }
  }
  const visible = (): SavedView[] => listVisibleViews(ctx.db, me())

  function queue(name: (typeof VIEW_ACTIONS)[number], args: unknown, viewId: string): number {
    const row = enqueueAction(ctx.db, { name, args, conversationId: '', itemId: viewId })
    ctx.emit('data.changed', { entities: ['savedView'], customerIds: [] })
    ctx.engine.schedulePush()
    return row.mutationId
  }

  function ownView(viewId: string): SavedView {
    const view = getEntity(ctx.db, 'savedView', viewId)?.current
    if (!view || view.deletedAt !== null) throw new IpcError('not_found', `View ${viewId} is not in this device's cache.`)
    if (view.ownerId !== me().userId) throw new IpcError('bad_request', `“${view.name}” is someone else’s view; save a copy of it instead.`)
    return view
  }

  return {
    'views.list': () => {
      const { userId } = me()
      // A refusal outranks a later queued save: the agent has to see why the server said no.
      const states = new Map<string, OutboxState>()
      for (const row of listOutboxByName(ctx.db, VIEW_ACTIONS)) {
        if (!row.itemId || states.get(row.itemId)?.state === 'failed') continue
        states.set(row.itemId, { mutationId: row.mutationId, state: row.state, error: row.error })
      }
      return visible().map((view): SavedViewItem => ({ ...view, mine: view.ownerId === userId, outbox: states.get(view.id) ?? null }))
    },
    'views.save': ({ viewId, ...fields }) => {
      if (!me().userId) throw new IpcError('bad_request', 'Sign in to save a view.')
      if (viewId) ownView(viewId)
      const id = viewId ?? newId()
      return { viewId: id, mutationId: queue('saveView', { viewId: id, ...fields }, id) }
    },
    'views.delete': ({ viewId }) => {
      ownView(viewId)
      return { mutationId: queue('deleteView', { viewId }, viewId) }
    },
    'views.counts': () => {
      const ctxNow = { userId: me().userId, now: Date.now() }
      return Object.fromEntries(visible().map((view) => [view.id, countMatching(ctx.db, view.filters, ctxNow)]))
    },
  }
}
