import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { PASSWORD_MAX, PASSWORD_MIN } from '../../shared/sessions'
import { BadRequestError } from '../errors'

/**
 * Passwords are kept as salted scrypt hashes, `scrypt$N$r$p$salt$hash` (base64url), so the
 * cost can be raised later without invalidating what is stored.
 */

const COST = { N: 2 ** 15, r: 8, p: 1 } as const
const KEY_BYTES = 32
const SALT_BYTES = 16
// N=2^15 with r=8 needs 32 MiB; Node's default ceiling is exactly that, so leave headroom.
const MAX_MEM = 64 * 1024 * 1024

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...cost, maxmem: MAX_MEM }
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
  )
}

/** Refuses passwords too short to be worth protecting, with a message fit for the person typing. */
export function checkNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN) throw new BadRequestError(`a password needs at least ${PASSWORD_MIN} characters`)
  if (password.length > PASSWORD_MAX) throw new BadRequestError(`a password may have at most ${PASSWORD_MAX} characters`)
}

export async function hashPassword(password: string): Promise<string> {
  checkNewPassword(password)
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, COST)
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/**
 * Compares in constant time. With no stored hash (unknown email, or a user without a password)
 * it still spends one derivation, so the answer's timing does not tell which emails exist.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = stored?.split('$') ?? []
  const [scheme, n, r, p, salt, hash] = parts
  if (parts.length !== 6 || scheme !== 'scrypt' || !salt || !hash) {
    await derive(password, randomBytes(SALT_BYTES), COST)
    return false
  }
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) })
  return key.length === expected.length && timingSafeEqual(key, expected)
}
