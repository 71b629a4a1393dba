import { parseArgs } from 'node:util'
import { Role } from '../shared/domain'
import { createToken, createUser } from './auth/users'
import { ConfigError, loadConfig } from './config'
import { BadRequestError } from './errors'
import { NewerDatabaseError } from './store/sqlite/migrations'
import { openSqliteStore } from './store/sqlite/sqlite-store'
import type { Store } from './store/store'
import { ChangeFeed } from './sync/commit'

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  user:create --name <name> --email <email> --role agent|supervisor [--team <team>] [--inboxes a,b]
  token:create --email <email> [--label <label>]
  users:list

The database is the server's (THREADLINE_DB, THREADLINE_CONFIG or --config <file>).`

class UsageError extends Error {}

const COMMANDS = {
  'user:create': {
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      team: { type: 'string' },
      inboxes: { type: 'string' },
    },
    run(store: Store, v: Record<string, string | undefined>): void {
      const missing = ['name', 'email', 'role'].filter((k) => !v[k])
      if (missing.length > 0) throw new UsageError(`user:create needs ${missing.map((m) => `--${m}`).join(', ')}`)
      const role = Role.safeParse(v.role)
      if (!role.success) throw new UsageError(`--role must be agent or supervisor, not "${v.role}"`)
      const inboxes = v.inboxes === undefined ? null : v.inboxes.split(',').map((s) => s.trim()).filter(Boolean)
      const user = createUser(new ChangeFeed(store).commit, {
        name: v.name ?? '',
        email: v.email ?? '',
        role: role.data,
        team: v.team ?? null,
        inboxes,
      })
      console.log(`created ${user.role} ${user.name} <${user.email}> (id ${user.id}, inboxes: ${user.inboxes?.join(', ') ?? 'all'})`)
    },
  },
  'token:create': {
    options: { email: { type: 'string' }, label: { type: 'string' } },
    run(store: Store, v: Record<string, string | undefined>): void {
      if (!v.email) throw new UsageError('token:create needs --email')
      const user = store.getUserByEmail(v.email)
      if (!user) throw new UsageError(`no user with email ${v.email} (create one with user:create)`)
      const token = createToken(new ChangeFeed(store).commit, user.id, v.label)
      console.log(`token for ${user.email} (shown once, store it now):\n${token}`)
    },
  },
  'users:list': {
    options: {},
    run(store: Store): void {
      const users = store.listUsers()
      if (users.length === 0) console.log('no users yet (create one with user:create)')
      for (const u of users) {
        console.log(`${u.email}\t${u.role}\t${u.name}\tteam: ${u.team ?? '-'}\tinboxes: ${u.inboxes?.join(',') ?? 'all'}`)
      }
    },
  },
} as const

function run(argv: string[]): void {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE)
    return
  }
  const spec = (COMMANDS as Record<string, (typeof COMMANDS)[keyof typeof COMMANDS]>)[command]
  if (!spec) throw new UsageError(`unknown command "${command}"`)
  let values: Record<string, string | undefined>
  try {
    values = parseArgs({
      args: rest,
      options: { ...spec.options, config: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | undefined>
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const config = loadConfig(process.env, values.config)
  const store = openSqliteStore(config.dbPath)
  try {
    spec.run(store, values)
  } finally {
    store.close()
  }
}

try {
  run(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (err instanceof BadRequestError || err instanceof ConfigError || err instanceof NewerDatabaseError) {
    console.error(`error: ${err.message}`)
    process.exit(1)
  }
  throw err
}
