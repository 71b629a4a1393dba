import type { ServerConfig } from '../config'
import { openPostgresStore } from './postgres/postgres-store'
import { openSqliteStore } from './sqlite/sqlite-store'
import type { Store } from './store'

/** The server's store: PostgreSQL when a database URL is configured, else the SQLite file at dbPath. */
export async function openStore(config: Pick<ServerConfig, 'dbPath' | 'databaseUrl'>): Promise<Store> {
  return config.databaseUrl ? openPostgresStore(config.databaseUrl) : openSqliteStore(config.dbPath)
}
