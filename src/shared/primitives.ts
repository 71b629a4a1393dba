import { z } from 'zod'
import { CHANNELS } from './domain-values'

/**
 * The field shapes every entity is built from, apart from domain.ts so that schemas kept in
 * their own modules (reporting/events.ts) can use them without importing domain.ts, which
 * gathers those schemas.
 */

export const Id = z.string().min(1).max(128)
/** Epoch milliseconds: they sort and index cheaply in SQLite and PostgreSQL. */
export const Timestamp = z.number().int().nonnegative()

export const Channel = z.enum(CHANNELS)
export type Channel = z.infer<typeof Channel>
