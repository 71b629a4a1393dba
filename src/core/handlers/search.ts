import type { Channel, ConversationStatus } from '../../shared/domain'
import type { HighlightedText, IpcHandlers, SearchHit } from '../../shared/ipc'
import { ftsQuery, MATCH_END, MATCH_START, searchIndex, searchSnippets } from '../db/queries'
import type { HandlerContext } from './context'

/** Splits FTS5's marked-up output into plain and matched runs, so no markup reaches the UI. */
export function toHighlighted(marked: string): HighlightedText {
  const parts: HighlightedText = []
  let match = false
  let text = ''
  for (const ch of marked) {
    if (ch === MATCH_START || ch === MATCH_END) {
      if (text) parts.push({ text, match })
      text = ''
      match = ch === MATCH_START
      continue
    }
    text += ch
  }
  if (text) parts.push({ text, match })
  return parts
}

export function searchHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'search.query'> {
  return {
    'search.query': (args) => {
      const query = ftsQuery(args.text)
      if (!query) return []
      // Narrow first (match, filters, rank, limit), then build snippets for the survivors only.
      const rows = searchIndex(ctx.db, { ...args, query })
      const snippets = searchSnippets(ctx.db, { query, rowids: rows.map((r) => r.rowid) })
      return rows.map((row): SearchHit => {
        const marked = snippets.get(row.rowid)
        return {
          kind: row.kind,
          id: row.refId,
          customerId: row.customerId,
          customerName: row.customerName ?? 'Unknown customer',
          conversationId: row.conversationId,
          channel: row.channel as Channel | null,
          status: row.status as ConversationStatus | null,
          at: row.at,
          title: toHighlighted(marked?.title ?? ''),
          snippet: toHighlighted(marked?.body ?? ''),
        }
      })
    },
  }
}
