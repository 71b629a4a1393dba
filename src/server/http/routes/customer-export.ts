import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { userActor } from '../../../shared/actors'
import { exportFileName } from '../../../shared/customer-export'
import { NotFoundError } from '../../connectors/delivery'
import { exportCustomer } from '../../privacy/customer-export'
import { assertMayExport, assertMayExportAtAll } from '../../privacy/export-access'
import type { Store } from '../../store/store'
import { recordAudit } from '../../audit/record'
import { restOrigin } from '../../audit/origin'
import { canSeeCustomer } from '../../sync/access'
import { isAdmin } from '../../../shared/roles'
import { userOf } from '../auth'
import { ErrorBody } from '../errors'
import { IdParams } from '../schemas'

// Streamed as it is read, never serialized: the schema only documents it.
const ExportArchive = {
  description: 'The zip archive: manifest.json, customer.json, messages.jsonl… (docs/export.md)',
  content: { 'application/zip': { schema: z.unknown().meta({ type: 'string', format: 'binary' }) } },
}

export interface CustomerExportRouteDeps {
  store: Store
  /** The folder of attachment files beside the database; null when the server keeps none. */
  attachmentsDir: string | null
}

/** `GET /customers/:id/export`: the customer's whole archive, streamed (privacy/customer-export.ts). */
export const customerExportRoutes =
  ({ store, attachmentsDir }: CustomerExportRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/customers/:id/export',
      {
        schema: {
          tags: ['customers'],
          summary: 'Export everything kept about a customer, as one zip archive (docs/export.md)',
          description:
            'For a data-subject request: the profile, identities, conversations, messages, notes, calls with transcripts, ' +
            'summaries, consent history, timeline events and attachment files. Admins may export any customer; a supervisor ' +
            'only one whose every conversation is in an inbox they see (an export is never partial); agents may not. ' +
            'The archive is streamed as it is read; its manifest.json counts what it holds.',
          params: IdParams,
          response: { 200: ExportArchive, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const { id } = request.params
        assertMayExportAtAll(user)
        // One answer for unknown and out of reach, as on every customer route, so ids reveal nothing.
        const customer = await store.getCustomer(id)
        if (!customer || (!isAdmin(user) && !(await canSeeCustomer(store, user, id)))) throw new NotFoundError(`unknown customer ${id}`)
        await assertMayExport(store, user, id)
        // Recorded before the first byte leaves: a download cut short has still shown what it carried.
        await recordAudit(store, { actor: userActor(user.id), action: 'customer.exported', target: { type: 'customer', id }, origin: restOrigin(request) })
        const now = Date.now()
        const archive = await exportCustomer({ store, attachmentsDir }, { customerId: id, exportedBy: userActor(user.id), now })
        archive.done.catch((err: unknown) => request.log.warn({ err, customerId: id }, 'customer export stopped before its end'))
        return reply
          .header('content-type', 'application/zip')
          .header('content-disposition', `attachment; filename="${exportFileName(id, now)}"`)
          .header('cache-control', 'no-store')
          .send(archive.stream)
      },
    )
  }
