import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type SyncServer } from '../../../src/server/server'
import { serveParent } from '../rpc'

/**
 * A sync server node in its own process: node B of the PostgreSQL scenarios' two-node cluster
 * (node A runs in the runner's process; two nodes in one process would share one event loop, so
 * a second node could add no throughput whatever the server does).
 */

let server: SyncServer | null = null
let scratch = ''

const running = (): SyncServer => {
  if (!server) throw new Error('start the server first')
  return server
}

serveParent(
  {
    async start(args: { databaseUrl: string; redisUrl: string | null }) {
      // The folder connectors keep their files in (email attachments); the store is PostgreSQL.
      scratch = mkdtempSync(join(tmpdir(), 'threadline-bench-node-'))
      server = await startServer({
        dbPath: join(scratch, 'unused.sqlite'),
        databaseUrl: args.databaseUrl,
        redisUrl: args.redisUrl,
        logLevel: 'warn',
        outbound: 'none',
        host: '127.0.0.1',
        port: 0,
      })
      return { url: server.url, pid: process.pid }
    },

    /** An integration posting to the inboxes the load uses, and its token. */
    async integration(args: { name: string }) {
      const { token } = await running().createIntegration({ name: args.name, inboxes: ['Support email', 'Website chat'] })
      return token
    },

    /** A token of the user with `email`, created (an admin who sees every inbox) when missing. */
    async agentToken(args: { email: string; name: string }) {
      const s = running()
      const user = (await s.findUserByEmail(args.email)) ?? (await s.createUser({ name: args.name, email: args.email, role: 'admin' }))
      return s.createToken(user.id, 'benchmark')
    },

    counts() {
      return running().counts()
    },

    memory() {
      return process.memoryUsage()
    },
  },
  async () => {
    const s = server
    server = null
    try {
      await s?.close()
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true })
    }
  },
)
