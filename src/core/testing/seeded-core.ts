import type { Core } from '../core'
import { openCache } from '../db/open'
import { setSyncUser } from '../db/queries'
import { createCore } from '../index'
import { applyBatch } from '../sync/apply'
import { changes, closedPort, tempDir } from './fixtures'

/** An offline core over a cache signed in as `userId` and holding `seed`, as the sync would have left it. */
export async function seededCore(
  userId: string,
  seed: Parameters<typeof changes>[1],
): Promise<{ core: Core; dir: ReturnType<typeof tempDir>; serverUrl: string; close(): Promise<void> }> {
  const dir = tempDir()
  // A server address nobody listens on: nothing the core queues leaves this machine.
  const serverUrl = `http://127.0.0.1:${await closedPort()}`
  const db = openCache(dir.path, serverUrl)
  setSyncUser(db, userId)
  applyBatch(db, { after: 0, cursor: seed.length, changes: changes(1, seed) })
  db.close()
  const core = await createCore({ dataDir: dir.path, serverUrl, token: 't' })
  return {
    core,
    dir,
    serverUrl,
    async close() {
      await core.close()
      dir.remove()
    },
  }
}
