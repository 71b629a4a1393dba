import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { ExportManifest } from '../../shared/customer-export'
import type { ServerConfig } from '../config'
import type { StoreReader } from '../store/store'
import { exportCustomer, serverAttachmentsDir, type ExportRequest } from './customer-export'

/**
 * Writes a customer's archive to `file` (the CLI's export). It is written aside and renamed into
 * place once whole, so a failed export never leaves a truncated archive under the name asked
 * for; owner-only, since it holds everything about a person.
 */
export async function exportCustomerToFile(
  { store, config }: { store: StoreReader; config: Pick<ServerConfig, 'dbPath'> },
  request: ExportRequest,
  file: string,
): Promise<ExportManifest> {
  const archive = await exportCustomer({ store, attachmentsDir: serverAttachmentsDir(config) }, request)
  const target = path.resolve(file)
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}.partial`)
  try {
    await pipeline(archive.stream, fs.createWriteStream(partial, { mode: 0o600 }))
    const manifest = await archive.done
    fs.renameSync(partial, target)
    return manifest
  } catch (err) {
    fs.rmSync(partial, { force: true })
    throw err
  }
}
