import { ConfigError, loadConfig, parseServerArgs } from './config'
import { startServer } from './server'
import { NewerDatabaseError } from './store/errors'

/** `npm run server [-- --config file.json] [-- --demo]`: the sync server as a process. */
async function main(): Promise<void> {
  const args = parseServerArgs(process.argv.slice(2))
  const config = loadConfig(process.env, args.configFile)
  const server = await startServer(config)
  console.log(`Threadline sync server listening on ${server.url} (${config.databaseUrl ? `PostgreSQL ${databaseLabel(config.databaseUrl)}` : `database ${config.dbPath}`})`)

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: shutting down`)
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed', err)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))

  const demo = args.demo || process.env.THREADLINE_DEMO === '1'
  if (demo && (await server.counts()).customers === 0) {
    console.log('Seeding the demo dataset…')
    // Loaded only here: the demo generator carries faker, which a production server never needs.
    const { seedDemo } = await import('./demo/seed')
    const summary = await seedDemo(server, { seed: 1, customers: 200 })
    console.log(`Demo data ready (${summary.steps} steps); sign in as ${summary.supervisorEmail} (the supervisor) or ${summary.agentEmail} (an agent)`)
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof NewerDatabaseError) {
    console.error(err.message)
  } else {
    console.error('the sync server failed to start:', err)
  }
  process.exit(1)
})

/** Host, port and database of a PostgreSQL URL, never its password. */
function databaseLabel(url: string): string {
  const parsed = new URL(url)
  return `${parsed.host}${parsed.pathname}`
}
