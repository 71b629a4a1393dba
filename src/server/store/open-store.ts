import type { ServerConfig } from '../config'
import { recordingReports } from '../reporting/recorder'
import { openPostgresStore } from './postgres/postgres-store'
import { openSqliteStore } from './sqlite/sqlite-store'
import type { Store } from './store'

/**
 * The server's store: PostgreSQL when a database URL is configured, else the SQLite file at
 * dbPath; recording reporting events and moving SLA clocks as it is written, by the inboxes' business hours.
 */
export async function openStore(config: Pick<ServerConfig, 'dbPath' | 'databaseUrl'> & Partial<Pick<ServerConfig, 'inboxes' | 'slaPolicies'>>): Promise<Store> {
  const store = config.databaseUrl ? await openPostgresStore(config.databaseUrl) : openSqliteStore(config.dbPath)
  const hours = new Map((config.inboxes ?? []).map((inbox) => [inbox.name, inbox.businessHours ?? null]))
  return recordingReports(store, (inbox) => hours.get(inbox) ?? null, config.slaPolicies ?? [])
}
