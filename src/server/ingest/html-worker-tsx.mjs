// Worker thread of the HTML sanitizer pool (html-sanitizer.ts). Plain JavaScript so that any
// Node can start it; it loads the TypeScript sanitizer through tsx, which the server runs on.
import { tsImport } from 'tsx/esm/api'

const { prepareHtml } = await tsImport('./sanitize-html.ts', import.meta.url)

/** @param {{ html: string }} task */
export default function prepare(task) {
  return prepareHtml(task.html)
}
