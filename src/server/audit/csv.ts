import type { AuditEntry, AuditFilter } from '../../shared/audit'
import { csvField } from '../../shared/csv'
import type { StoreReader } from '../store/store'
import { AUDIT_COLUMNS, auditValues } from '../store/audit-rows'

/** The export's columns are the audit table's, in its order (docs/audit-log.md). */
export const AUDIT_CSV_COLUMNS = AUDIT_COLUMNS

const iso = (ms: number): string => new Date(ms).toISOString()

export function auditCsvRow(e: AuditEntry): string {
  // The table's values in its column order: times (the only numbers) as ISO 8601, details as JSON, none as empty.
  const details = (d: unknown) => (Object.keys(d as object).length > 0 ? JSON.stringify(d) : null)
  return auditValues(e, details)
    .map((v) => csvField(typeof v === 'number' ? iso(v) : (v as string | null)))
    .join(',')
    .concat('\r\n')
}

/**
 * The entries matching `filter` as CSV, newest first, one page of the store at a time: however
 * long the log, only a page is held in memory. Entries recorded while it runs with a time after
 * `filter.to` (by default when the export began) are left for the next export.
 */
export async function* auditCsv(store: Pick<StoreReader, 'auditEntries'>, filter: AuditFilter, now = Date.now(), pageSize = 500): AsyncGenerator<string> {
  yield `${AUDIT_CSV_COLUMNS.join(',')}\r\n`
  const to = filter.to ?? now + 1
  let after: string | undefined
  do {
    const page = await store.auditEntries({ ...filter, to, limit: pageSize, after })
    if (page.items.length > 0) yield page.items.map(auditCsvRow).join('')
    after = page.next ?? undefined
  } while (after)
}

/** The export's file name: the day it was made. */
export const auditExportFileName = (now: number): string => `threadline-audit-log-${iso(now).slice(0, 10)}.csv`
