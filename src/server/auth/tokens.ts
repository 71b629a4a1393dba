import { createHash, randomBytes } from 'node:crypto'

/** Plaintext tokens are shown once; only their SHA-256 is stored. */
export function generateToken(): string {
  return `tl_${randomBytes(32).toString('base64url')}`
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The token in an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  return m?.[1] ?? null
}

/** The socket.io room of every connection made with one token, so revoking it can close them all. */
export function tokenRoom(tokenHash: string): string {
  return `token:${tokenHash}`
}
