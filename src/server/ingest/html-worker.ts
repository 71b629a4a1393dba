import { prepareHtml, type PreparedHtml } from './sanitize-html'

/** One task of the HTML sanitizer pool (html-sanitizer.ts), run in a worker thread. */
export default function prepare(task: { html: string }): PreparedHtml {
  return prepareHtml(task.html)
}
