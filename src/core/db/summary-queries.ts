import type { Database } from 'better-sqlite3'
import type { Channel, Summary } from '../../shared/domain'
import { storyContext, summaryId, type Staleness, type StoryContext, type SummaryItem } from '../../shared/summaries'
import { getEntity, listCustomerConversations } from './queries'
import { stmt } from './statements'

/**
 * Summaries in the cache: a customer's story, how far it is behind the cached items, this
 * agent's ratings, and the customer's items as a summarizer reads them (the way the server
 * reads its own, so the embedded summarizer writes the same story from the same items).
 */

/** The customer's story as the UI reads it (a version written on this device over the server's, if any). */
export function getStory(db: Database, customerId: string): Summary | null {
  return getEntity(db, 'summary', summaryId('customer_story', customerId))?.current ?? null
}

/**
 * A call says something once it has a transcript or notes; one without (missed, still ringing)
 * is no item of a story, so it never makes one stale (nothing could ever cover it).
 */
const callSaysSomething = (alias: string): string =>
  `(coalesce(${alias}.json ->> '$.transcript', '') <> '' OR coalesce(${alias}.json ->> '$.notes', '') <> '')`

/**
 * The customer's messages and calls newer than `coversThrough`: each table is read through its
 * (customer_id, at, id) index from that time on, so an old customer with a current story costs
 * a few index probes.
 */
const newerMessages = 'FROM messages WHERE customer_id = @customerId AND at > @after'
const newerCalls = `FROM calls k WHERE k.customer_id = @customerId AND k.at > @after AND ${callSaysSomething('k')}`
export const STALENESS_SQL = `
  SELECT (SELECT count(*) ${newerMessages}) + (SELECT count(*) ${newerCalls}) AS newItems,
    max(coalesce((SELECT max(at) ${newerMessages}), -1), coalesce((SELECT max(k.at) ${newerCalls}), -1)) AS newestAt`

export function storyStaleness(db: Database, args: { customerId: string; coversThrough: number }): Staleness {
  const row = stmt(db, STALENESS_SQL).get({ customerId: args.customerId, after: args.coversThrough }) as {
    newItems: number
    newestAt: number | null
  }
  return { newItems: row.newItems, newestAt: row.newItems > 0 ? row.newestAt : null }
}

// ---------------------------------------------------------------------------------------------
// This agent's ratings (local, kept across re-syncs)

export type Rating = 'up' | 'down'

export function getRating(db: Database, args: { summaryId: string; generatedAt: number }): Rating | null {
  const row = stmt(db, 'SELECT rating FROM summary_ratings WHERE summary_id = ? AND generated_at = ?').get(args.summaryId, args.generatedAt) as
    | { rating: Rating }
    | undefined
  return row?.rating ?? null
}

export function setRating(db: Database, args: { summaryId: string; generatedAt: number; rating: Rating }): void {
  stmt(
    db,
    `INSERT INTO summary_ratings (summary_id, generated_at, rating) VALUES (@summaryId, @generatedAt, @rating)
     ON CONFLICT (summary_id, generated_at) DO UPDATE SET rating = excluded.rating`,
  ).run(args)
}

export function deleteRating(db: Database, args: { summaryId: string; generatedAt: number }): void {
  stmt(db, 'DELETE FROM summary_ratings WHERE summary_id = ? AND generated_at = ?').run(args.summaryId, args.generatedAt)
}

// ---------------------------------------------------------------------------------------------
// The customer's items, as a summarizer reads them

/** An item with the inbox of its conversation (null when the conversation is not cached). */
export interface CachedSummaryItem extends SummaryItem {
  inbox: string | null
}

/**
 * Messages (the customer's when inbound), calls (transcript, then the agent's notes; silent calls
 * left out) and notes (the company's, on their conversation's channel), each table read through
 * its (customer_id, at, id) index from `after` on, oldest first.
 */
export const SUMMARY_ITEMS_SQL = `
  SELECT * FROM (
    SELECT 'message' AS kind, m.id, m.conversation_id AS conversationId, m.json ->> '$.channel' AS channel,
      CASE m.json ->> '$.direction' WHEN 'inbound' THEN 'customer' ELSE 'agent' END AS author,
      m.at, m.json ->> '$.text' AS text, c.inbox AS inbox
    FROM messages m LEFT JOIN conversations c ON c.id = m.conversation_id
    WHERE m.customer_id = @customerId AND m.at > @after
    UNION ALL
    SELECT 'call', k.id, k.conversation_id, 'voice',
      CASE k.json ->> '$.direction' WHEN 'inbound' THEN 'customer' ELSE 'agent' END,
      k.at, concat_ws(char(10), nullif(k.json ->> '$.transcript', ''), 'Agent notes: ' || nullif(k.json ->> '$.notes', '')),
      c.inbox
    FROM calls k LEFT JOIN conversations c ON c.id = k.conversation_id
    WHERE k.customer_id = @customerId AND k.at > @after AND ${callSaysSomething('k')}
    UNION ALL
    SELECT 'note', n.id, n.conversation_id, coalesce(c.channel, 'chat'), 'agent', n.at, n.json ->> '$.text', c.inbox
    FROM notes n LEFT JOIN conversations c ON c.id = n.conversation_id
    WHERE n.customer_id = @customerId AND n.at > @after)
  ORDER BY at, id`

/** The customer's items oldest first; only those after `after` (a story's `coversThrough`) when given. */
export function listSummaryItems(db: Database, args: { customerId: string; after?: number | undefined }): CachedSummaryItem[] {
  return (
    stmt(db, SUMMARY_ITEMS_SQL).all({ customerId: args.customerId, after: args.after ?? -1 }) as (Omit<CachedSummaryItem, 'channel' | 'text'> & {
      channel: Channel
      text: string | null
    })[]
  ).map((r) => ({ ...r, text: r.text ?? '' }))
}

/** Where the customer's cached conversations stand: the unresolved ones newest first, and how many in all. */
export function cachedStoryContext(db: Database, customerId: string): StoryContext {
  return storyContext(listCustomerConversations(db, customerId))
}
