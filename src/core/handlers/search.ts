import type { Channel, ConversationStatus } from '../../shared/domain'
import type { HighlightedText, IpcHandlers, SearchHit } from '../../shared/ipc'
import { ftsQuery, listIdentities, MATCH_END, MATCH_START, searchIndex } from '../db/queries'
import type { HandlerContext } from './context'
import { customerSnippet } from './customer-snippet'

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
      // Filters, order and limit all inside the FTS query; snippets only for the rows returned.
      return searchIndex(ctx.db, { ...args, query }).map(
        (row): SearchHit => ({
          kind: row.kind,
          id: row.refId,
          customerId: row.customerId,
          customerName: row.customerName ?? 'Unknown customer',
          conversationId: row.conversationId,
          channel: row.channel as Channel | null,
          status: row.status as ConversationStatus | null,
          at: row.at,
          title: toHighlighted(row.title),
          // The index holds a customer's addresses as search tokens (phones also by their last digits), not as text to read.
          snippet: row.kind === 'customer' ? customerSnippet(listIdentities(ctx.db, row.customerId), args.text) : toHighlighted(row.body),
        }),
      )
    },
  }
}
