import { join } from 'node:path'
import { DEMO_SUPERVISOR_EMAIL } from '../../../src/server/demo/generate'
import { latencyRow, valueRow } from '../report'
import { summarize, type Summary } from '../stats'
import { child, type BenchContext } from './context'

/** Reporting events reach supervisors only: what they add to a supervisor's initial sync. */
const SYNC_SLOWDOWN_MAX = 1.1
const DAY = 86_400_000
const TIME_ZONE = 'Europe/London'

interface DashboardFigures {
  report: Summary
  drill: Summary
  live: Summary
  liveDrill: Summary
  created: number
  resolved: number
  eventsInRange: number
  events: number
  conversations: number
}

/**
 * Supervisors' dashboards: initial syncs of the whole dataset as an agent and as a supervisor in
 * turns (agent first in even rounds), each in a fresh core process, for what the reporting events
 * add; then, on the last supervisor's cache, a report over the dataset's last 30 days, drill-downs
 * of its figures and the live queues, all through the core as the dashboards ask for them.
 */
export async function runDashboardScenarios(ctx: BenchContext): Promise<void> {
  const { server, dataset, options } = ctx
  const supervisor = await server.findUserByEmail(DEMO_SUPERVISOR_EMAIL)
  if (!supervisor) throw new Error(`the dataset has no supervisor ${DEMO_SUPERVISOR_EMAIL}: build it anew (its recipe is older)`)
  const tokens = { agent: ctx.token, supervisor: await server.createToken(supervisor.id, 'benchmark') }
  const target = (await server.counts()).lastSeq
  const times = { agent: [] as number[], supervisor: [] as number[] }
  let figures: DashboardFigures | null = null
  const rounds = options.size.dashboardRounds
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['agent', 'supervisor'] as const) : (['supervisor', 'agent'] as const)
    for (const who of order) {
      const core = child(ctx, 'core-client')
      try {
        const sync = await core.call<{ ms: number }>(
          'sync',
          { dataDir: join(ctx.runDir, `dashboards-${who}-${round}`), serverUrl: server.url, token: tokens[who], targetCursor: target, timeoutMs: 3_600_000 },
          3_700_000,
        )
        times[who].push(sync.ms)
        ctx.log(`  round ${round + 1}/${rounds}, ${who}: ${(sync.ms / 1000).toFixed(2)} s`)
        if (who === 'supervisor' && round === rounds - 1) {
          const to = dataset.historyEnd
          figures = await core.call<DashboardFigures>('dashboards', { from: to - 30 * DAY, to, timeZone: TIME_ZONE, samples: options.size.samples }, 600_000)
        }
      } finally {
        await core.stop()
      }
    }
  }
  const agent = summarize(times.agent)
  const withEvents = summarize(times.supervisor)
  ctx.rows.push(
    latencyRow('dashboards.sync.agent', 'initial sync into an empty cache as an agent (no reporting events)', agent, null, `${rounds} syncs of each`),
    latencyRow('dashboards.sync.supervisor', '  the same as a supervisor (with reporting events)', withEvents, null),
    valueRow('dashboards.sync.ratio', '  supervisor ÷ agent (median sync time)', '×', withEvents.median / agent.median, { atMost: SYNC_SLOWDOWN_MAX }),
  )
  if (!figures) return
  const note = `${figures.conversations.toLocaleString('en')} conversations, ${figures.events.toLocaleString('en')} reporting events cached; the last 30 days: ${figures.eventsInRange.toLocaleString('en')} events, ${figures.created.toLocaleString('en')} conversations created, ${figures.resolved.toLocaleString('en')} resolved`
  ctx.rows.push(
    latencyRow('dashboards.report', 'a report over the last 30 days, in the core (supervisor)', figures.report, { p95: 100 }, note),
    latencyRow('dashboards.drill', '  the conversations behind one of its figures (created, resolved, first response, FCR)', figures.drill, { p95: 100 }),
    latencyRow('dashboards.live', 'the live queues per channel, inbox and team', figures.live, { p95: 100 }),
    latencyRow('dashboards.liveDrill', '  the conversations behind the open count', figures.liveDrill, { p95: 100 }),
  )
}
