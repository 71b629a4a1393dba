/**
 * A client core in its own process, for tests that kill it: node --import tsx core-child.ts
 * <dataDir> <serverUrl> <token> <batchSize>. Prints each sync state as a JSON line.
 */
import { createCore } from '../../../src/core/index'

const [dataDir, serverUrl, token, batchSize] = process.argv.slice(2)
if (!dataDir || !serverUrl || !token) {
  process.stderr.write('usage: core-child.ts <dataDir> <serverUrl> <token> [batchSize]\n')
  process.exit(2)
}
const core = await createCore({ dataDir, serverUrl, token, batchSize: Number(batchSize ?? 500) })
core.subscribe((message) => {
  if (message.event === 'sync.state') process.stdout.write(`${JSON.stringify(message.payload)}\n`)
})
process.on('SIGTERM', () => {
  void core.close().then(() => process.exit(0))
})
