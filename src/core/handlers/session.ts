import type { IpcHandlers } from '../../shared/ipc'
import { listUsers } from '../db/queries'
import { IpcError } from '../errors'
import type { Session } from '../session/session'
import type { HandlerContext } from './context'

/** How long `session.get` waits for the first contact with the server on a brand-new cache. */
const FIRST_CONTACT_MS = 10_000

type SessionMethods = 'session.get' | 'session.state' | 'session.signIn' | 'session.signOut' | 'users.list'

export function sessionHandlers(ctx: HandlerContext, session: Session): Pick<IpcHandlers, SessionMethods> {
  return {
    'session.get': async () => {
      const user = await ctx.engine.signedInUser(FIRST_CONTACT_MS)
      if (!user) {
        const state = session.state()
        const why =
          state.status === 'signed-out' && !ctx.engine.state().lastError
            ? 'sign in to a Threadline server first.'
            : `${ctx.serverUrl || 'the server'} has not been reached to confirm whose token this is. ${ctx.engine.state().lastError ?? ''}`
        throw new IpcError('not_found', `Not signed in yet: ${why}`.trim())
      }
      return { user, serverUrl: ctx.serverUrl }
    },
    'session.state': () => session.state(),
    'session.signIn': (args) => session.signIn(args),
    'session.signOut': () => session.signOut(),
    'users.list': () => listUsers(ctx.db),
  }
}
