import type { IpcHandlers } from '../../shared/ipc'
import { listUsers } from '../db/queries'
import { IpcError } from '../errors'
import type { HandlerContext } from './context'

/** How long `session.get` waits for the first contact with the server on a brand-new cache. */
const FIRST_CONTACT_MS = 10_000

export function sessionHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'session.get' | 'users.list'> {
  return {
    'session.get': async () => {
      const user = await ctx.engine.signedInUser(FIRST_CONTACT_MS)
      if (!user) {
        throw new IpcError(
          'not_found',
          `Not signed in yet: ${ctx.serverUrl} has not been reached to confirm whose token this is. ${ctx.engine.state().lastError ?? ''}`.trim(),
        )
      }
      return { user, serverUrl: ctx.serverUrl }
    },
    'users.list': () => listUsers(ctx.db),
  }
}
