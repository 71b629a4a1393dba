import fs from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import type { AuditFilter } from '../../shared/audit'
import type { Store } from '../store/store'
import { auditCsv } from './csv'
import { recordAudit, type AuditBy } from './record'

/**
 * Writes the audit log's matching entries as CSV to `file` (created 0600: the log names who read
 * whose data), or to `out` when no file is named. The export is itself recorded first.
 */
export async function exportAuditLog(store: Store, filter: AuditFilter, by: AuditBy, file: string | null, out: Writable = process.stdout): Promise<void> {
  const now = Date.now()
  await recordAudit(store, { ...by, action: 'audit.exported', target: { type: 'audit_log', id: 'audit_log' } }, now)
  const rows = Readable.from(auditCsv(store, filter, now))
  if (file === null) {
    for await (const chunk of rows) if (!out.write(chunk)) await once(out, 'drain')
    return
  }
  await pipeline(rows, fs.createWriteStream(file, { mode: 0o600 }))
}
