import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { RetentionRun, RetentionSettings } from '../../../shared/retention'
import { recordAudit } from '../../audit/record'
import { requestAuditBy } from '../../audit/origin'
import { retentionRuns, retentionSettings, saveRetentionSettings } from '../../privacy/retention'
import type { Store } from '../../store/store'
import { requireRole, userOf } from '../auth'
import { ErrorBody } from '../errors'

const SettingsOut = RetentionSettings.meta({ id: 'RetentionSettings' })
const RunOut = RetentionRun.meta({ id: 'RetentionRun' })

export interface RetentionRouteDeps {
  store: Store
  /** Runs retention now (a dry run deletes nothing), as `requestedBy`. */
  run(options: { dryRun: boolean; requestedBy: string }): Promise<RetentionRun>
}

/** Retention rules, their dry run and the log of runs: admins only. */
export const retentionRoutes =
  (deps: RetentionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['privacy']
    requireRole(app, 'admin', 'retention is managed by admins only')

    app.get(
      '/retention',
      {
        schema: {
          tags,
          summary: 'The retention rules and the log of runs, newest first (admins)',
          querystring: z.object({ runs: z.coerce.number().int().min(0).max(400).default(50) }),
          response: { 200: z.object({ settings: SettingsOut, runs: z.array(RunOut) }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        return { settings: await retentionSettings(deps.store), runs: (await retentionRuns(deps.store)).slice(0, request.query.runs) }
      },
    )

    app.put(
      '/retention',
      {
        schema: {
          tags,
          summary: 'Replace the retention rules (admins); they apply from the next run',
          body: RetentionSettings,
          response: { 200: SettingsOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        const by = requestAuditBy(request)
        await deps.store.write(async (w) => {
          await saveRetentionSettings(w, request.body)
          await recordAudit(w, { ...by, action: 'retention_policy.changed', target: { type: 'retention_policy', id: 'retention' } })
        })
        return request.body
      },
    )

    app.post(
      '/retention/runs',
      {
        schema: {
          tags,
          summary: 'Run retention now (admins); with dryRun, say what a run would delete and delete nothing',
          body: z.object({ dryRun: z.boolean().default(true) }),
          response: { 200: RunOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        return deps.run({ dryRun: request.body.dryRun, requestedBy: userOf(request).id })
      },
    )
  }
