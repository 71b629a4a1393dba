import BetterSqlite3 from 'better-sqlite3'
import { finishBulkLoad } from '../db/bulk-load'
import { unlockCache } from '../db/cipher'

/**
 * Run as a child process: finishes a bulk load on the cache file given (encrypted with the key
 * given in hex) and kills itself with SIGKILL when the index expression `kill_midway(v)` has
 * been called `calls` times, leaving the build half-written.
 * Not through openCache, which would finish the build before kill_midway exists.
 */
const [file, keyHex, calls] = process.argv.slice(2) as [string, string, string]
const connect = (readonly: boolean): BetterSqlite3.Database => new BetterSqlite3(file, { readonly })
const db = connect(false)
unlockCache(db, file, Buffer.from(keyHex, 'hex'), connect)
db.pragma('journal_mode = WAL')
// A page cache of a few pages: what is built before the kill has spilled into the file.
db.pragma('cache_size = -64')
let called = 0
db.function('kill_midway', { deterministic: true }, (v: unknown) => {
  if (++called === Number(calls)) process.kill(process.pid, 'SIGKILL')
  return v
})
finishBulkLoad(db)
