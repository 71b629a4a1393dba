import { parseArgs } from 'node:util'
import { systemActor } from '../shared/actors'
import { Role, type User } from '../shared/domain'
import { createIntegration, revokeIntegration } from './auth/integrations'
import { readNewPassword } from './auth/password-input'
import { checkNewPassword } from './auth/passwords'
import { tokenLifetime } from './auth/tokens'
import {
  createToken,
  createUser,
  deactivateUser,
  listTokens,
  reactivateUser,
  revokeTokenById,
  setPassword,
  updateUserAccess,
  type UserAccess,
} from './auth/users'
import { ConfigError, loadConfig, type ServerConfig } from './config'
import { NotFoundError } from './connectors/delivery'
import { BadRequestError, ConflictError } from './errors'
import { exportCustomerToFile } from './privacy/export-file'
import { eraseCustomer, restoreCustomer } from './privacy/erasure'
import { PurgeService } from './privacy/purge'
import { attachmentsDir } from './connectors/email/email-connector'
import path from 'node:path'
import { recordAudit } from './audit/record'
import { copySqliteToPostgres, StoreCopyError } from './store/copy-store'
import { NewerDatabaseError } from './store/errors'
import { openStore } from './store/open-store'
import type { Store } from './store/store'
import { ChangeFeed } from './sync/commit'
import { AuditFilter } from '../shared/audit'
import { CLI_ORIGIN } from './audit/origin'
import { exportAuditLog } from './audit/export-file'
import type { AuditBy } from './audit/record'

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  user:create --name <name> --email <email> --role agent|supervisor|admin [--team <team>] [--inboxes a,b] [--password]
  user:update --email <email> [--name <name>] [--role agent|supervisor|admin] [--team <team> | --no-team]
              [--inboxes a,b | --all-inboxes] [--deactivate | --reactivate]
  password:set --email <email>
  token:create --email <email> [--label <label>]
  tokens:list [--email <email>]
  token:revoke --id <token id>
  users:list
  integration:create --name <name> --inboxes a,b
  integrations:list
  integration:revoke --id <integration id>
  store:copy --from <server.sqlite>
  summaries:feedback [--limit <n>]
  customers:export <customer id> <file>
  customers:erase <customer id> [--now]
  customers:restore <customer id>
  customers:erasures
  customers:purge
  audit:export [--from <date>] [--to <date>] [--actor <kind:id>] [--action <action>]
               [--target-type <type> --target-id <id>] [--out <file>]

--password and password:set ask for the password twice at a terminal, or read the first line
of standard input when it is piped; it is stored as a salted scrypt hash.

Tokens are printed once, when created; tokens:list shows their ids, never the tokens. A revoked
token is refused at once, and a running server closes its sync connections within a second.
Integration tokens post inbound items (POST /api/v1/inbound) to their inboxes only.

Agents work the conversations of their inboxes; supervisors also see their dead letters; admins
also manage users, tokens and integrations (here, or in the app's Administration screen). A
deactivated user's tokens are revoked and they cannot sign in until reactivated. The last
active admin cannot be demoted or deactivated.

The database is the server's (THREADLINE_DB or DATABASE_URL, THREADLINE_CONFIG or --config <file>).

summaries:feedback prints agents' thumbs up and down on summaries, newest first (1,000 by
default), one JSON object a line with the text they judged: the data for evaluating summarizers.

customers:export writes everything kept about one customer (profile, identities, conversations,
messages, notes, calls, summaries, consent history, events and attachment files) to a zip archive
at <file>, for a data-subject request; docs/export.md describes it.

audit:export writes the audit log's entries (who opened, exported, erased, merged, changed
consent, roles, tokens or retention) as CSV, newest first, to <file> or standard output; dates are
ISO 8601 (2026-01-31 or 2026-01-31T12:00:00Z) or epoch milliseconds, --to exclusive. The export
is itself recorded; docs/audit-log.md describes the columns.

customers:erase erases a customer (and the records merged into them): gone at once from every
read and, at their next sync, from every client's cache; purged for good after erasureGraceDays
(30 by default), or at the server's next purge with --now (a legal request, not restorable).
customers:restore brings an erasure back within the grace period; customers:erasures lists those
pending; customers:purge purges the ones due now. docs/privacy.md describes what is removed.

store:copy copies the SQLite store file into the empty PostgreSQL database at DATABASE_URL, in
one transaction (see docs/deploy.md); stop the server first.`

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>

/** Everything a command's changes need: the store, the server's config, and the CLI as their actor. */
interface CliContext {
  store: Store
  config: ServerConfig
  feed: ChangeFeed
}

const CLI_ACTOR = systemActor('cli')
/** How the audit log names what the CLI does. */
const CLI_BY: AuditBy = { actor: CLI_ACTOR, origin: CLI_ORIGIN }

const text = (v: Values, key: string): string | undefined => (typeof v[key] === 'string' ? v[key] : undefined)

/** A date option as epoch milliseconds: ISO 8601 or a number of milliseconds; what parses as neither is passed on for the schema to refuse. */
function instant(v: Values, key: string): number | string | undefined {
  const value = text(v, key)
  if (value === undefined) return undefined
  if (/^\d+$/.test(value)) return Number(value)
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? value : ms
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

function parseRole(v: Values): Role {
  const role = Role.safeParse(v.role)
  if (!role.success) throw new UsageError(`--role must be ${Role.options.join(', ')}, not "${text(v, 'role')}"`)
  return role.data
}

/** A user by --email, or what to do when there is none. */
async function userByEmail(store: Store, v: Values, command: string): Promise<User> {
  const email = text(v, 'email')
  if (!email) throw new UsageError(`${command} needs --email`)
  const user = await store.getUserByEmail(email)
  if (!user) throw new UsageError(`no user with email ${email} (create one with user:create)`)
  return user
}

const describeUser = (u: User): string =>
  `${u.role} ${u.name} <${u.email}> (team: ${u.team ?? '-'}, inboxes: ${u.inboxes?.join(', ') ?? 'all'}${u.deactivatedAt ? ', deactivated' : ''})`

const when = (at: number | null): string => (at === null ? 'never' : new Date(at).toISOString())

/** One line per item (tab-separated fields), or what to do when there is none. */
function printList<T>(items: readonly T[], whenEmpty: string, line: (item: T) => string): void {
  if (items.length === 0) console.log(whenEmpty)
  for (const item of items) console.log(line(item))
}

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
    async run({ feed }: CliContext, v: Values): Promise<void> {
      const missing = ['name', 'email', 'role'].filter((k) => !text(v, k))
      if (missing.length > 0) throw new UsageError(`user:create needs ${missing.map((m) => `--${m}`).join(', ')}`)
      const role = parseRole(v)
      const inboxList = text(v, 'inboxes')
      const inboxes = inboxList === undefined ? null : list(inboxList)
      // Asked before the user exists, so a refused password leaves nothing half made.
      const password = v.password === true ? await readPassword(`Password for ${text(v, 'email')}`) : null
      const commit = feed.as(CLI_ACTOR)
      const user = await createUser(
        commit,
        { name: text(v, 'name') ?? '', email: text(v, 'email') ?? '', role, team: text(v, 'team') ?? null, inboxes },
        undefined,
        CLI_BY,
      )
      if (password !== null) await setPassword(commit, user.id, password)
      console.log(
        `created ${user.role} ${user.name} <${user.email}> (id ${user.id}, inboxes: ${user.inboxes?.join(', ') ?? 'all'}` +
          `${password !== null ? ', can sign in with a password' : ''})`,
      )
    },
  },
  'user:update': {
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      team: { type: 'string' },
      'no-team': { type: 'boolean' },
      inboxes: { type: 'string' },
      'all-inboxes': { type: 'boolean' },
      deactivate: { type: 'boolean' },
      reactivate: { type: 'boolean' },
    },
    async run({ store, feed }: CliContext, v: Values): Promise<void> {
      const user = await userByEmail(store, v, 'user:update')
      for (const [a, b] of [['team', 'no-team'], ['inboxes', 'all-inboxes'], ['deactivate', 'reactivate']] as const) {
        if (v[a] !== undefined && v[b] !== undefined) throw new UsageError(`give --${a} or --${b}, not both`)
      }
      const inboxList = text(v, 'inboxes')
      const change: UserAccess = {
        ...(text(v, 'name') !== undefined ? { name: text(v, 'name') } : {}),
        ...(v.role !== undefined ? { role: parseRole(v) } : {}),
        ...(v['no-team'] === true ? { team: null } : text(v, 'team') !== undefined ? { team: text(v, 'team') } : {}),
        ...(v['all-inboxes'] === true ? { inboxes: null } : inboxList !== undefined ? { inboxes: list(inboxList) } : {}),
      }
      const activity = v.deactivate === true ? 'deactivate' : v.reactivate === true ? 'reactivate' : null
      if (Object.keys(change).length === 0 && !activity) {
        throw new UsageError('user:update needs something to change: --name, --role, --team, --no-team, --inboxes, --all-inboxes, --deactivate or --reactivate')
      }
      const commit = feed.as(CLI_ACTOR)
      let updated = Object.keys(change).length > 0 ? await updateUserAccess(commit, user.id, change, CLI_BY) : user
      if (activity === 'deactivate') updated = (await deactivateUser(commit, user.id, undefined, CLI_BY)).user
      if (activity === 'reactivate') updated = await reactivateUser(commit, user.id)
      console.log(`updated ${describeUser(updated)}${activity === 'deactivate' ? '; their tokens are revoked' : ''}`)
    },
  },
  'password:set': {
    options: { email: { type: 'string' } },
    async run({ store, feed }: CliContext, v: Values): Promise<void> {
      const user = await userByEmail(store, v, 'password:set')
      await setPassword(feed.as(CLI_ACTOR), user.id, await readPassword(`New password for ${user.email}`))
      console.log(`password set for ${user.email}; tokens already issued stay valid`)
    },
  },
  'token:create': {
    options: { email: { type: 'string' }, label: { type: 'string' } },
    async run({ store, feed }: CliContext, v: Values): Promise<void> {
      const user = await userByEmail(store, v, 'token:create')
      const token = await createToken(feed.as(CLI_ACTOR), user.id, text(v, 'label'), undefined, CLI_BY)
      console.log(`token for ${user.email} (shown once, store it now):\n${token}`)
    },
  },
  'tokens:list': {
    options: { email: { type: 'string' } },
    async run({ store, config }: CliContext, v: Values): Promise<void> {
      const email = text(v, 'email')
      const user = email === undefined ? null : await store.getUserByEmail(email)
      if (email !== undefined && !user) throw new UsageError(`no user with email ${email}`)
      const tokens = await listTokens(store, tokenLifetime(config), user?.id ?? null)
      const now = Date.now()
      printList(tokens, user ? `${user.email} has no tokens` : 'no tokens yet (create one with token:create)', (t) => {
        const expires = t.expiresAt <= now ? `expired ${when(t.expiresAt)}` : `expires ${when(t.expiresAt)}`
        return `${t.id}\t${t.userEmail}\t${t.label ?? '-'}\tcreated ${when(t.createdAt)}\tlast used ${when(t.lastUsedAt)}\t${expires}`
      })
    },
  },
  'token:revoke': {
    options: { id: { type: 'string' } },
    async run({ feed }: CliContext, v: Values): Promise<void> {
      const id = text(v, 'id')
      if (!id) throw new UsageError('token:revoke needs --id (see tokens:list)')
      if (!(await revokeTokenById(feed.as(CLI_ACTOR), id, CLI_BY))) throw new UsageError(`no token with id ${id} (see tokens:list)`)
      console.log(`token ${id} revoked; a running server closes its connections within a second`)
    },
  },
  'integration:create': {
    options: { name: { type: 'string' }, inboxes: { type: 'string' } },
    async run({ feed }: CliContext, v: Values): Promise<void> {
      const missing = ['name', 'inboxes'].filter((k) => !text(v, k))
      if (missing.length > 0) throw new UsageError(`integration:create needs ${missing.map((m) => `--${m}`).join(', ')}`)
      const { integration, token } = await createIntegration(
        feed.as(CLI_ACTOR),
        { name: text(v, 'name') ?? '', inboxes: list(text(v, 'inboxes') ?? '') },
        undefined,
        CLI_BY,
      )
      console.log(
        `created integration ${integration.name} (id ${integration.id}, inboxes: ${integration.inboxes.join(', ')}); ` +
          `its token (shown once, store it now):\n${token}`,
      )
    },
  },
  'summaries:feedback': {
    options: { limit: { type: 'string' } },
    async run({ store }: CliContext, v: Values): Promise<void> {
      const limit = Number(text(v, 'limit') ?? 1_000)
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('summaries:feedback --limit needs a whole number above 0')
      for (const f of await store.summaryFeedback(limit)) {
        console.log(JSON.stringify({ ...f, generatedAt: new Date(f.generatedAt).toISOString(), createdAt: new Date(f.createdAt).toISOString() }))
      }
    },
  },
  'customers:export': {
    options: {},
    positionals: ['id', 'file'],
    async run({ store, config }: CliContext, v: Values): Promise<void> {
      const [id, file] = [text(v, 'id'), text(v, 'file')]
      if (!id || !file) throw new UsageError('customers:export needs the customer id and the file to write: customers:export <customer id> <file>')
      const manifest = await exportCustomerToFile({ store, config }, { customerId: id, exportedBy: CLI_ACTOR }, file)
      const c = manifest.counts
      await recordAudit(store, {
        actor: CLI_ACTOR,
        action: 'customer.exported',
        target: { type: 'customer', id },
        origin: CLI_ORIGIN,
        details: { count: c.messages + c.notes + c.calls + c.events },
      })
      console.log(
        `exported customer ${id} to ${file}: ${c.conversations} conversations, ${c.messages} messages, ${c.notes} notes, ` +
          `${c.calls} calls, ${c.events} events, ${c.summaries} summaries, ${c.consentRecords} consent records, ${c.attachments} attachment files`,
      )
    },
  },
  'customers:erase': {
    options: { now: { type: 'boolean' } },
    positionals: ['id'],
    async run({ feed, config }: CliContext, v: Values): Promise<void> {
      const id = text(v, 'id')
      if (!id) throw new UsageError('customers:erase needs the customer id: customers:erase <customer id> [--now]')
      const erasure = await feed.as(CLI_ACTOR)((w) =>
        eraseCustomer(w, {
          customerId: id,
          user: null,
          by: { actor: CLI_ACTOR, origin: { via: 'cli' } },
          immediate: v.now === true,
          graceDays: config.erasureGraceDays,
          now: Date.now(),
        }),
      )
      const records = erasure.customerIds.length > 1 ? ` with ${erasure.customerIds.length - 1} record(s) merged into them` : ''
      console.log(
        erasure.immediate
          ? `erased customer ${id}${records}; the server purges them at its next pass (customers:purge does it now)`
          : `erased customer ${id}${records}; restorable until ${when(erasure.purgeAt)} (customers:restore ${id})`,
      )
    },
  },
  'customers:restore': {
    options: {},
    positionals: ['id'],
    async run({ feed }: CliContext, v: Values): Promise<void> {
      const id = text(v, 'id')
      if (!id) throw new UsageError('customers:restore needs the customer id: customers:restore <customer id>')
      const result = await feed.as(CLI_ACTOR)((w) => restoreCustomer(w, { customerId: id, user: null, by: { actor: CLI_ACTOR, origin: { via: 'cli' } } }))
      const kept = [...result.identitiesSkipped, ...result.itemsSkipped]
      console.log(
        `restored customer ${id}: ${result.restored} rows` +
          (kept.length > 0 ? `; ${kept.length} (${kept.join(', ')}) stay with the customer who took them while ${id} was erased` : ''),
      )
    },
  },
  'customers:erasures': {
    options: {},
    async run({ store }: CliContext): Promise<void> {
      printList(await store.listErasures(), 'no erasures pending', (e) =>
        `${e.customerId}\t${e.name}\terased ${when(e.requestedAt)} by ${e.requestedBy}\t${e.immediate ? 'purged at the next pass' : `purged ${when(e.purgeAt)}`}`,
      )
    },
  },
  'customers:purge': {
    options: {},
    async run({ store, config }: CliContext): Promise<void> {
      const purger = new PurgeService(store, {
        attachmentsDir: attachmentsDir(path.dirname(path.resolve(config.dbPath))),
        intervalMs: config.erasurePurgeCheckMs,
        log: { info: () => undefined, error: (obj, msg) => console.error(msg, obj) },
      })
      console.log(`purged ${await purger.purgeDue()} erased customer(s) whose grace period is over`)
    },
  },
  'integrations:list': {
    options: {},
    async run({ store }: CliContext): Promise<void> {
      printList(await store.listIntegrations(), 'no integrations yet (create one with integration:create)', (i) => {
        const state = i.revokedAt === null ? 'active' : `revoked ${when(i.revokedAt)}`
        return `${i.id}\t${i.name}\tinboxes: ${i.inboxes.join(',')}\tcreated ${when(i.createdAt)}\tlast used ${when(i.lastUsedAt)}\t${state}`
      })
    },
  },
  'integration:revoke': {
    options: { id: { type: 'string' } },
    async run({ feed }: CliContext, v: Values): Promise<void> {
      const id = text(v, 'id')
      if (!id) throw new UsageError('integration:revoke needs --id (see integrations:list)')
      if (!(await revokeIntegration(feed.as(CLI_ACTOR), id, undefined, CLI_BY))) throw new UsageError(`no active integration with id ${id} (see integrations:list)`)
      console.log(`integration ${id} revoked; its token is refused from now on`)
    },
  },
  'audit:export': {
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      'target-type': { type: 'string' },
      'target-id': { type: 'string' },
      out: { type: 'string' },
    },
    async run({ store }: CliContext, v: Values): Promise<void> {
      const filter = AuditFilter.safeParse({
        from: instant(v, 'from'),
        to: instant(v, 'to'),
        actor: text(v, 'actor'),
        action: text(v, 'action'),
        targetType: text(v, 'target-type'),
        targetId: text(v, 'target-id'),
      })
      if (!filter.success) throw new UsageError(`audit:export: ${filter.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}`)
      const out = text(v, 'out') ?? null
      await exportAuditLog(store, filter.data, CLI_BY, out)
      if (out !== null) console.log(`audit log written to ${out}`)
    },
  },
  'store:copy': {
    options: { from: { type: 'string' } },
    // Reads one store and writes another: the command opens both itself.
    opensStore: false,
    async run({ config }: Pick<CliContext, 'config'>, v: Values): Promise<void> {
      const from = text(v, 'from')
      if (!from) throw new UsageError('store:copy needs --from <path of the SQLite store file>')
      if (!config.databaseUrl) {
        throw new UsageError('store:copy copies into the PostgreSQL database at DATABASE_URL (or databaseUrl in the config file); set it')
      }
      const result = await copySqliteToPostgres({ from, to: config.databaseUrl, progress: (line) => console.error(line) })
      const seconds = result.ms / 1000
      console.log(
        `copied ${result.rows} rows in ${result.tables.length} tables from ${from} in ${seconds.toFixed(1)} s ` +
          `(${Math.round(result.rows / Math.max(seconds, 0.001))} rows/s); the change log ends at seq ${result.lastSeq}`,
      )
    },
  },
  'users:list': {
    options: {},
    async run({ store }: CliContext): Promise<void> {
      printList(
        await store.listUsers(),
        'no users yet (create one with user:create)',
        (u) =>
          `${u.email}\t${u.role}\t${u.name}\tteam: ${u.team ?? '-'}\tinboxes: ${u.inboxes?.join(',') ?? 'all'}` +
          `${u.deactivatedAt ? `\tdeactivated ${when(u.deactivatedAt)}` : ''}`,
      )
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
    const names: readonly string[] = 'positionals' in spec ? spec.positionals : []
    const parsed = parseArgs({
      args: rest,
      options: { ...spec.options, config: { type: 'string' } },
      strict: true,
      allowPositionals: names.length > 0,
    })
    if (parsed.positionals.length > names.length) throw new UsageError(`${command} takes ${names.length} arguments, not ${parsed.positionals.length}`)
    values = { ...(parsed.values as Values), ...Object.fromEntries(parsed.positionals.map((p, i) => [names[i], p])) }
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const config = loadConfig(process.env, typeof values.config === 'string' ? values.config : undefined)
  if ('opensStore' in spec) {
    await spec.run({ config }, values)
    return
  }
  const store = await openStore(config)
  try {
    await spec.run({ store, config, feed: new ChangeFeed(store) }, values)
  } finally {
    await store.close()
  }
}

try {
  await run(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`error: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (
    err instanceof BadRequestError ||
    err instanceof ConflictError ||
    err instanceof ConfigError ||
    err instanceof NewerDatabaseError ||
    err instanceof StoreCopyError ||
    err instanceof NotFoundError
  ) {
    console.error(`error: ${err.message}`)
    process.exit(1)
  }
  throw err
}
