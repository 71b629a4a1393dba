import { z } from 'zod'
import { User } from './domain'

/**
 * Signing in with a password: what `POST /api/v1/sessions` takes and answers. The answer's
 * token is an ordinary API token (Bearer), stored hashed like every other.
 */

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 1_024

export const SignInRequest = z.object({
  email: z.string().trim().toLowerCase().min(1, 'type your email address').max(320),
  password: z.string().min(1, 'type your password').max(PASSWORD_MAX),
  /** Shown next to the token in the token list, e.g. "Threadline desktop on laptop-7". */
  deviceName: z.string().trim().min(1).max(200).optional(),
})
export type SignInRequest = z.infer<typeof SignInRequest>

export const SignInResponse = z.object({
  token: z.string().min(1),
  user: User,
})
export type SignInResponse = z.infer<typeof SignInResponse>

/** The one answer to every wrong email or password, so neither can be guessed apart. */
export const WRONG_CREDENTIALS = 'wrong email or password'
