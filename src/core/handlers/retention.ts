import { z } from 'zod'
import type { IpcHandlers } from '../../shared/ipc'
import { RetentionRun, RetentionSettings } from '../../shared/retention'
import type { HandlerContext } from './context'
import { serverRest } from './server-rest'

type RetentionMethods = Extract<keyof IpcHandlers, `retention.${string}`>

const Overview = z.object({ settings: RetentionSettings, runs: z.array(RetentionRun) })

/** Retention is the server's (admins only, online only): each call goes to its REST API. */
export function retentionHandlers(ctx: HandlerContext): Pick<IpcHandlers, RetentionMethods> {
  const server = serverRest(ctx, 'managing retention')
  return {
    'retention.get': () => server('GET', '/retention', Overview),
    'retention.save': (settings) => server('PUT', '/retention', RetentionSettings, settings),
    'retention.run': ({ dryRun }) => server('POST', '/retention/runs', RetentionRun, { dryRun }),
  }
}
