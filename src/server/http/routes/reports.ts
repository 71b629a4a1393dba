import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Channel, Id, Label } from '../../../shared/domain'
import { ConversationRows, reportCsv } from '../../../shared/reporting/csv'
import { LiveQueues } from '../../../shared/reporting/live-queues'
import { Report } from '../../../shared/reporting/metrics'
import { ReportQuery, TimeZone } from '../../../shared/reporting/report-query'
import { liveQueuesFromStore, reportConversations, reportFromStore } from '../../reporting/reports'
import type { Store } from '../../store/store'
import { requireRole, userOf } from '../auth'
import { NotFoundError } from '../../connectors/delivery'
import { BadRequestError } from '../../errors'
import { ErrorBody } from '../errors'

/** A filter given as repeated parameters (`inbox=a&inbox=b`) or one comma-separated list. */
const listOf = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(item).max(1000))
    .optional()

const ReportQueryString = z.object({
  from: z.coerce.number().int().nonnegative().describe('start of the range, epoch ms (inclusive)'),
  to: z.coerce.number().int().nonnegative().describe('end of the range, epoch ms (exclusive)'),
  timeZone: TimeZone.default('UTC').describe('IANA time zone the days and hours are read in, e.g. Europe/Berlin'),
  inbox: listOf(z.string().min(1)),
  channel: listOf(Channel),
  team: listOf(z.string().min(1)),
  agent: listOf(Id),
  label: listOf(Label),
})

/** The shared query from the query string: empty filters mean "every one". */
function reportQueryOf(q: z.infer<typeof ReportQueryString>): ReportQuery {
  const filters = {
    ...(q.inbox?.length ? { inboxes: q.inbox } : {}),
    ...(q.channel?.length ? { channels: q.channel } : {}),
    ...(q.team?.length ? { teams: q.team } : {}),
    ...(q.agent?.length ? { agents: q.agent } : {}),
    ...(q.label?.length ? { labels: q.label } : {}),
  }
  const parsed = ReportQuery.safeParse({ from: q.from, to: q.to, timeZone: q.timeZone, ...(Object.keys(filters).length > 0 ? { filters } : {}) })
  if (!parsed.success) throw new BadRequestError(z.prettifyError(parsed.error))
  return parsed.data
}

const ReportOut = Report.omit({ drill: true }).meta({ id: 'Report' })
// Or CSV text, with `format=csv`.
const ReportConversationsOut = ConversationRows
  .or(z.string())
  .meta({ id: 'ReportConversations' })

/**
 * Supervisors' figures over REST, for exports and integrations: the same computation as the
 * dashboards in the app, over the inboxes the caller may see. Agents are refused.
 */
export const reportRoutes =
  (store: Store): FastifyPluginAsyncZod =>
  async (app) => {
    requireRole(app, 'supervisor', 'reports are for supervisors and admins')
    const tags = ['reports']

    app.get(
      '/reports',
      {
        schema: {
          tags,
          summary: 'A report over a date range (supervisors and admins)',
          description:
            'Conversations created and resolved, first response and resolution times (median and p90, calendar and business hours), ' +
            'first-contact resolution, reopens, CSAT, volume by channel per local day, a weekday × hour heat map, the after-hours share, ' +
            'one row per agent and the channel-switching rate with the commonest channel paths. Filters (`inbox`, `channel`, `team`, ' +
            '`agent`, `label`) take repeated parameters or comma-separated lists. `/reports/conversations` lists the conversations behind a figure.',
          querystring: ReportQueryString,
          response: { 200: ReportOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => {
        const { drill: _drill, ...figures } = (await reportFromStore(store, userOf(request), reportQueryOf(request.query))).report
        return figures
      },
    )

    app.get(
      '/reports/conversations',
      {
        schema: {
          tags,
          summary: 'The conversations behind one figure of a report, with their measures (supervisors and admins)',
          description:
            'The same query as `/reports`, and `figure`: `created`, `resolved`, `firstResponse`, `resolution`, `fcr`, `reopened`, ' +
            '`csat.answers`, `csat.promoters`, `afterHours`, `switch`, `volume.<day>.<channel>`, `heat.<weekday>.<hour>`, ' +
            '`agent.<id>.<figure>` or `switch.<path>`. `format=csv` answers a CSV file, one row per conversation, times in `timeZone`.',
          querystring: ReportQueryString.extend({ figure: z.string().min(1).max(300), format: z.enum(['json', 'csv']).default('json') }),
          produces: ['application/json', 'text/csv'],
          response: { 200: ReportConversationsOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const { figure, format } = request.query
        const found = await reportConversations(store, userOf(request), reportQueryOf(request.query), figure)
        if (!found) throw new NotFoundError(`no figure "${figure}" in this report`)
        if (format === 'json') return found
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="threadline-report-${figure.replace(/[^\w.-]+/g, '-')}.csv"`)
          .header('cache-control', 'no-store')
          .send(reportCsv(found))
      },
    )

    app.get(
      '/reports/live',
      {
        schema: {
          tags,
          summary: 'The queues as they stand now, per channel, inbox and team (supervisors and admins)',
          response: { 200: LiveQueues.meta({ id: 'LiveQueues' }), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request) => liveQueuesFromStore(store, userOf(request), Date.now()),
    )
  }
