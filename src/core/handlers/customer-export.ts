import { exportFileName } from '../../shared/customer-export'
import type { IpcHandlers } from '../../shared/ipc'
import type { HandlerContext } from './context'
import { saveDownload } from './downloads'

/** A large customer's archive takes a while to stream; a server that stops sending is given up on. */
const EXPORT_TIMEOUT_MS = 10 * 60_000

/**
 * The customer's archive is made by the server (an export must be complete, and only the server
 * holds every inbox); the core downloads it into the Downloads folder.
 */
export function customerExportHandlers(ctx: Pick<HandlerContext, 'token' | 'serverUrl'>): Pick<IpcHandlers, 'customer.export'> {
  return {
    'customer.export': ({ customerId }) =>
      saveDownload(ctx, `/customers/${encodeURIComponent(customerId)}/export`, {
        fallbackName: exportFileName(customerId, Date.now()),
        what: 'exporting',
        timeoutMs: EXPORT_TIMEOUT_MS,
      }),
  }
}
