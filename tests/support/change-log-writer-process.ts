import { once } from 'node:events'
import { openSqliteStore } from '../../src/server/store/sqlite/sqlite-store'
import { runWriter } from './change-log-writers'

/**
 * One writer of the change-log test in a process of its own, on the SQLite file named in its
 * arguments (another server process, as the CLI is): `<file> <writer> <transactions>`.
 * Says `ready` once its store is open, starts writing when told `go` on stdin, and exits 0 when done.
 */

const [file, writer, transactions] = process.argv.slice(2)
if (!file || !writer || !transactions) throw new Error('usage: change-log-writer-process.ts <file> <writer> <transactions>')

const store = openSqliteStore(file)
process.stdout.write('ready\n')
await once(process.stdin, 'data')
try {
  await runWriter(store, Number(writer), Number(transactions))
} finally {
  await store.close()
}
process.stdout.write('done\n')
process.exit(0)
