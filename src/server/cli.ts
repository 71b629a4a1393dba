import { parseArgs } from 'node:util'
import { Role } from '../shared/domain'
import { readNewPassword } from './auth/password-input'
import { checkNewPassword } from './auth/passwords'
import { createToken, createUser, setPassword } from './auth/users'
import { ConfigError, loadConfig } from './config'
import { BadRequestError } from './errors'
import { NewerDatabaseError } from './store/sqlite/migrations'
import { openSqliteStore } from './store/sqlite/sqlite-store'
import type { Store } from './store/store'
import { ChangeFeed } from './sync/commit'

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  user:create --name <name> --email <email> --role agent|supervisor [--team <team>] [--inboxes a,b] [--password]
  password:set --email <email>
  token:create --email <email> [--label <label>]
  users:list

--password and password:set ask for the password twice at a terminal, or read the first line
of standard input when it is piped; it is stored as a salted scrypt hash.

The database is the server's (THREADLINE_DB, THREADLINE_CONFIG or --config <file>).`

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>

async function readPassword(prompt: string): Promise<string> {
  let password: string
  try {
    password = await readNewPassword(prompt)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  checkNewPassword(password)
  return password
}

const COMMANDS = {
  'user:create': {
    options: {
      name: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      team: { type: 'string' },
      inboxes: { type: 'string' },
      password: { type: 'boolean' },
    },
    async run(store: Store, v: Values): Promise<void> {
      const text = (key: string): string | undefined => (typeof v[key] === 'string' ? v[key] : undefined)
      const missing = ['name', 'email', 'role'].filter((k) => !text(k))
      if (missing.length > 0) throw new UsageError(`user:create needs ${missing.map((m) => `--${m}`).join(', ')}`)
      const role = Role.safeParse(v.role)
      if (!role.success) throw new UsageError(`--role must be agent or supervisor, not "${text('role')}"`)
      const inboxList = text('inboxes')
      const inboxes = inboxList === undefined ? null : inboxList.split(',').map((s) => s.trim()).filter(Boolean)
      // Asked before the user exists, so a refused password leaves nothing half made.
      const password = v.password === true ? await readPassword(`Password for ${text('email')}`) : null
      const feed = new ChangeFeed(store)
      const user = createUser(feed.commit, {
        name: text('name') ?? '',
        email: text('email') ?? '',
        role: role.data,
        team: text('team') ?? null,
        inboxes,
      })
      if (password !== null) await setPassword(feed.commit, user.id, password)
      console.log(
        `created ${user.role} ${user.name} <${user.email}> (id ${user.id}, inboxes: ${user.inboxes?.join(', ') ?? 'all'}` +
          `${password !== null ? ', can sign in with a password' : ''})`,
      )
    },
  },
  'password:set': {
    options: { email: { type: 'string' } },
    async run(store: Store, v: Values): Promise<void> {
      if (typeof v.email !== 'string') throw new UsageError('password:set needs --email')
      const user = store.getUserByEmail(v.email)
      if (!user) throw new UsageError(`no user with email ${v.email} (create one with user:create)`)
      await setPassword(new ChangeFeed(store).commit, user.id, await readPassword(`New password for ${user.email}`))
      console.log(`password set for ${user.email}; tokens already issued stay valid`)
    },
  },
  'token:create': {
    options: { email: { type: 'string' }, label: { type: 'string' } },
    run(store: Store, v: Values): void {
      if (typeof v.email !== 'string') throw new UsageError('token:create needs --email')
      const user = store.getUserByEmail(v.email)
      if (!user) throw new UsageError(`no user with email ${v.email} (create one with user:create)`)
      const token = createToken(new ChangeFeed(store).commit, user.id, typeof v.label === 'string' ? v.label : undefined)
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

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE)
    return
  }
  const spec = (COMMANDS as Record<string, (typeof COMMANDS)[keyof typeof COMMANDS]>)[command]
  if (!spec) throw new UsageError(`unknown command "${command}"`)
  let values: Values
  try {
    values = parseArgs({
      args: rest,
      options: { ...spec.options, config: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }).values as Values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const config = loadConfig(process.env, typeof values.config === 'string' ? values.config : undefined)
  const store = openSqliteStore(config.dbPath)
  try {
    await spec.run(store, values)
  } finally {
    store.close()
  }
}

try {
  await run(process.argv.slice(2))
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
