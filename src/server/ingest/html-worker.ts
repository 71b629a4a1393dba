import { prepareHtml, prepareSanitizer, type PreparedHtml } from './sanitize-html'

// Loaded as the worker starts, beside the server's own start rather than in it.
const ready = prepareSanitizer()

/** One task of the HTML sanitizer pool (html-sanitizer.ts), run in a worker thread. */
export default async function prepare(task: { html: string }): Promise<PreparedHtml> {
  await ready
  return prepareHtml(task.html)
}
