import { buffer } from 'node:stream/consumers'
import yauzl from 'yauzl'

/** Every entry of a zip archive, by name, in the order the archive lists them: what a reader of an export gets. */
export async function unzip(archive: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(archive, { lazyEntries: true })
  const entries = new Map<string, Buffer>()
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject)
    zip.on('end', resolve)
    zip.on('entry', (entry: yauzl.Entry) => {
      zip
        .openReadStreamPromise(entry)
        .then((stream) => buffer(stream))
        .then((content) => {
          entries.set(entry.fileName, content)
          zip.readEntry()
        }, reject)
    })
    zip.readEntry()
  })
  return entries
}

/** A JSON-lines entry, one value a line. */
export const jsonLines = (content: Buffer | undefined): unknown[] =>
  (content ?? Buffer.alloc(0))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as unknown)
