import type { Page } from '../../../../shared/reporting/drill-pages'
import { count } from './reports/report-format'

/** Previous and next through a list longer than a page, with where the page on screen stands in it. */
export function PageButtons({ page, pageSize, onOffset }: { page: Page<unknown>; pageSize: number; onOffset(offset: number): void }) {
  if (page.total <= pageSize && page.offset === 0) return null
  const last = Math.min(page.total, page.offset + page.rows.length)
  return (
    <div className="drill-pages">
      <button type="button" className="button button-small" disabled={page.offset === 0} onClick={() => onOffset(Math.max(0, page.offset - pageSize))}>
        Previous
      </button>
      <span>
        {count(page.offset + 1)}–{count(last)} of {count(page.total)}
      </span>
      <button type="button" className="button button-small" disabled={page.offset + pageSize >= page.total} onClick={() => onOffset(page.offset + pageSize)}>
        Next
      </button>
    </div>
  )
}
