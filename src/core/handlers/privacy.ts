import { z } from 'zod'
import type { IpcHandlers } from '../../shared/ipc'
import { Erasure, ErasurePolicy, RestoreResult } from '../../shared/privacy'
import type { HandlerContext } from './context'
import { serverRest } from './server-rest'

/**
 * Erasing and restoring customers go straight to the server: it alone holds every inbox of the
 * customer, and its erasure reaches this cache through the sync like every other client's.
 */
export function privacyHandlers(
  ctx: Pick<HandlerContext, 'token' | 'serverUrl'>,
): Pick<IpcHandlers, 'customer.erase' | 'customer.restore' | 'privacy.erasurePolicy' | 'privacy.erasures'> {
  const server = serverRest(ctx, 'erasing a customer')
  const customer = (id: string, action: string) => `/customers/${encodeURIComponent(id)}/${action}`
  return {
    'customer.erase': async ({ customerId, now }) => (await server('POST', customer(customerId, 'erase'), z.object({ erasure: Erasure }), { now })).erasure,
    'customer.restore': ({ customerId }) => server('POST', customer(customerId, 'restore'), RestoreResult),
    'privacy.erasurePolicy': () => server('GET', '/erasure-policy', ErasurePolicy),
    'privacy.erasures': async () => (await server('GET', '/erasures', z.object({ items: z.array(Erasure) }))).items,
  }
}
