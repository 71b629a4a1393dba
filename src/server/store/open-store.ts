import type { ServerConfig } from '../config'
import { surveyingOnResolve, type SurveyDeps } from '../csat/surveys'
import { recordingReports } from '../reporting/recorder'
import { MessagingRules } from '../rules/config'
import { openSqliteStore } from './sqlite/sqlite-store'
import type { Store } from './store'

/**
 * The server's store: PostgreSQL when a database URL is configured, else the SQLite file at
 * dbPath; recording reporting events and moving SLA clocks as it is written, by the inboxes' business hours,
 * and asking for a satisfaction survey in the write that resolves a conversation of an inbox that asks.
 */
export async function openStore(
  config: Pick<ServerConfig, 'dbPath' | 'databaseUrl'> & Partial<Pick<ServerConfig, 'inboxes' | 'slaPolicies' | 'messagingRules' | 'publicUrl'>>,
  log?: SurveyDeps['log'],
): Promise<Store> {
  // The PostgreSQL store and its driver are loaded only for a database URL: a server on SQLite starts without them.
  const store = config.databaseUrl ? await (await import('./postgres/postgres-store')).openPostgresStore(config.databaseUrl) : openSqliteStore(config.dbPath)
  const inboxes = config.inboxes ?? []
  const hours = new Map(inboxes.map((inbox) => [inbox.name, inbox.businessHours ?? null]))
  const reporting = recordingReports(store, (inbox) => hours.get(inbox) ?? null, config.slaPolicies ?? [])
  const surveys = new Map(inboxes.flatMap((inbox) => (inbox.csat ? [[inbox.name, inbox.csat] as const] : [])))
  if (surveys.size === 0) return reporting
  return surveyingOnResolve(reporting, {
    settingsOf: (inbox) => surveys.get(inbox) ?? null,
    rules: config.messagingRules ?? MessagingRules.parse({}),
    publicUrl: config.publicUrl ?? null,
    ...(log ? { log } : {}),
  })
}
