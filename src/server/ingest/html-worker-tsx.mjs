// The HTML sanitizer's worker when the server runs from its TypeScript sources (tests, the
// benchmark): a worker thread does not inherit the parent's loader, so this plain module loads
// html-worker.ts through tsx. The built server runs out/server/html-worker.js instead.
import { tsImport } from 'tsx/esm/api'

const { default: prepare } = await tsImport('./html-worker.ts', import.meta.url)

export default prepare
