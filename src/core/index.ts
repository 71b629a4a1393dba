import { z } from 'zod'
import { IPC_ARGS, type IpcEventMessage, type IpcEventName, type IpcEvents, type IpcHandlers, type IpcMethod, type SyncState } from '../shared/ipc'
import type { Core, CoreOptions } from './core'
import { CachedEventColumns } from './db/reporting-columns'
import { SearchRetagger } from './db/search-retagger'
import { openCacheOrRebuild } from './db/open'
import { IpcError } from './errors'
import { adminHandlers } from './handlers/admin'
import { bulkHandlers } from './handlers/bulk'
import { composerHandlers } from './handlers/composer'
import { callHandlers } from './handlers/call'
import { conversationHandlers } from './handlers/conversation'
import type { HandlerContext } from './handlers/context'
import { customerHandlers } from './handlers/customer'
import { customerMergeHandlers } from './handlers/customer-merge'
import { presenceHandlers } from './handlers/presence'
import { inboxHandlers } from './handlers/inbox'
import { mentionHandlers } from './handlers/mentions'
import { viewHandlers } from './handlers/views'
import { outboxHandlers } from './handlers/outbox'
import { searchHandlers } from './handlers/search'
import { joinHandlers } from './handlers/registry'
import { sessionHandlers } from './handlers/session'
import { summaryHandlers } from './handlers/summaries'
import { customerExportHandlers } from './handlers/customer-export'
import { privacyHandlers } from './handlers/privacy'
import { reportHandlers } from './handlers/reports'
import { retentionHandlers } from './handlers/retention'
import { Session } from './session/session'
import { withCacheNotice } from './sync/cache-notice'

export type { Core, CoreOptions } from './core'
export { IpcError } from './errors'
export { CACHE_FILE } from './db/open'

// Fewer round trips and commits than 500; each batch still blocks this process while it
// applies (about 50 ms at 1,000), so far below the protocol's maximum of 10,000.
export const DEFAULT_BATCH_SIZE = 1_000

/**
 * Opens the cache in `dataDir` and answers IPC requests; syncs with the server while signed in
 * (a token given in `options`, or the one stored by the last sign-in), else waits for one.
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  if (options.token && !options.serverUrl) throw new Error('a token was given without the server URL it belongs to')
  const given = options.token && options.serverUrl ? { serverUrl: options.serverUrl, token: options.token } : null
  const { db, rebuilt } = openCacheOrRebuild(options.dataDir, Session.initialServer({ dataDir: options.dataDir, given }), {
    nativeBinding: options.nativeBinding,
    cacheKey: options.cacheKey,
  })
  if (rebuilt) console.warn(`[core] ${rebuilt}`)
  const listeners = new Set<(message: IpcEventMessage) => void>()
  const retagger = new SearchRetagger(db)
  const reportingEvents = new CachedEventColumns(db)
  function emit<E extends IpcEventName>(event: E, payload: IpcEvents[E]): void {
    // Whatever changed the cache may have queued conversations for re-tagging.
    if (event === 'data.changed') {
      retagger.poke()
      if ((payload as IpcEvents['data.changed']).entities.includes('reportingEvent')) reportingEvents.poke()
    }
    const sent = event === 'sync.state' ? withCacheNotice(payload as SyncState, rebuilt) : payload
    for (const listener of [...listeners]) {
      try {
        listener({ event, payload: sent } as IpcEventMessage)
      } catch {
        // A broken subscriber must not stop sync or the other subscribers.
      }
    }
  }
  const session = new Session({
    db,
    dataDir: options.dataDir,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    given,
    defaultServerUrl: options.serverUrl ?? null,
    emit,
    engineEvents: {
      onState: (state) => emit('sync.state', state),
      onChanged: (touched) => emit('data.changed', touched),
      onInbound: (arrived) => emit('inbound.arrived', arrived),
      onMentions: (arrived) => emit('mentions.arrived', arrived),
      onSlaBreaches: (arrived) => emit('sla.breached', arrived),
      onPresence: (presence) => emit('presence.changed', presence),
      onCustomerTyping: (notice) => emit('customer.typing', notice),
      onAgents: (agents) => emit('presence.agents', agents),
    },
  })
  // Getters: signing in and out swaps the engine, server and token under every handler.
  const ctx: HandlerContext = {
    db,
    emit,
    cacheNotice: rebuilt,
    get engine() {
      return session.engine
    },
    get serverUrl() {
      return session.serverUrl
    },
    get token() {
      return session.token
    },
  }
  const handlers: IpcHandlers = joinHandlers([
    sessionHandlers(ctx, session),
    inboxHandlers(ctx),
    customerHandlers(ctx),
    customerMergeHandlers(ctx),
    presenceHandlers(ctx),
    conversationHandlers(ctx),
    bulkHandlers(ctx),
    mentionHandlers(ctx),
    viewHandlers(ctx),
    outboxHandlers(ctx),
    searchHandlers(ctx),
    callHandlers(ctx),
    composerHandlers(ctx),
    adminHandlers(ctx),
    summaryHandlers(ctx),
    customerExportHandlers(ctx),
    privacyHandlers(ctx),
    retentionHandlers(ctx),
    reportHandlers(ctx, reportingEvents),
  ])
  let closed = false
  session.start()

  return {
    async handle(method, args) {
      if (closed) throw new IpcError('internal', 'The client core has been closed.')
      if (!Object.hasOwn(IPC_ARGS, method)) throw new IpcError('bad_request', `Unknown method '${method}'.`)
      const name = method as IpcMethod
      const parsed = IPC_ARGS[name].safeParse(args ?? {})
      if (!parsed.success) throw new IpcError('bad_request', `Invalid arguments for ${name}: ${z.prettifyError(parsed.error)}`)
      try {
        const handler = handlers[name] as (a: unknown) => unknown
        return await handler(parsed.data)
      } catch (err) {
        if (err instanceof IpcError) throw err
        throw new IpcError('internal', `${name} failed: ${err instanceof Error ? err.message : String(err)}`)
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    async close() {
      if (closed) return
      closed = true
      retagger.stop()
      reportingEvents.stop()
      await session.close()
      listeners.clear()
      db.close()
    },
  }
}
