import { InvalidCursorError } from './errors'

/**
 * Page cursors, the same in every engine: a sort value and the id that breaks its ties, as
 * base64url JSON. A cursor from one engine reads the same on the other.
 */
export const encodeCursor = (parts: [number, string]): string => Buffer.from(JSON.stringify(parts)).toString('base64url')

export function decodeCursor(cursor: string | undefined): [number, string] | null {
  if (!cursor) return null
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (Array.isArray(parsed) && typeof parsed[0] === 'number' && typeof parsed[1] === 'string') {
      return [parsed[0], parsed[1]]
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError()
}
