import { Readable } from 'node:stream'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AuditEntry, AuditFilter, AuditQuery } from '../../../shared/audit'
import { auditCsv, auditExportFileName } from '../../audit/csv'
import { requestAuditBy } from '../../audit/origin'
import { recordAudit } from '../../audit/record'
import type { Store } from '../../store/store'
import { requireRole } from '../auth'
import { ErrorBody } from '../errors'
import { pageOf } from '../schemas'

const AuditEntryOut = AuditEntry.meta({ id: 'AuditEntry' })
// Streamed as it is read, never serialized: the schema only documents it.
const AuditCsv = z.unknown().meta({ description: 'CSV (RFC 4180), a header row then one row per entry, newest first (docs/audit-log.md)' })

/**
 * The audit log, for admins only: a page at a time with filters, or every matching entry as a
 * CSV download. It is never synced to clients; this is the only way to read it over the network.
 */
export const auditRoutes =
  (store: Store): FastifyPluginAsyncZod =>
  async (app) => {
    requireRole(app, 'admin', 'only admins may read the audit log')
    const tags = ['audit']
    const filters =
      'Filters: `actor` (e.g. user:<id>), `action`, `targetType` with `targetId`, and `from` (inclusive) to `to` (exclusive), ' +
      'epoch milliseconds of when the action happened.'

    app.get(
      '/audit',
      {
        schema: {
          tags,
          summary: 'Audit log entries, newest first (admins only)',
          description: `${filters} Each entry names its actor, action, target (type and id), origin and when it happened.`,
          querystring: AuditQuery,
          response: { 200: pageOf(AuditEntryOut), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => store.auditEntries(request.query),
    )

    app.get(
      '/audit/export',
      {
        schema: {
          tags,
          summary: 'Every matching audit log entry as a CSV download, streamed (admins only)',
          description: `${filters} The export itself is recorded in the log.`,
          querystring: AuditFilter,
          produces: ['text/csv'],
          response: { 200: AuditCsv, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request, reply) => {
        const now = Date.now()
        await recordAudit(store, { ...requestAuditBy(request), action: 'audit.exported', target: { type: 'audit_log', id: 'audit_log' } }, now)
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${auditExportFileName(now)}"`)
          .header('cache-control', 'no-store')
          .send(Readable.from(auditCsv(store, request.query, now)))
      },
    )
  }
