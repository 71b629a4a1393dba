import type { Channel, ConversationStatus } from '../../shared/domain'
import type { IpcHandlers, SearchHit } from '../../shared/ipc'
import { ftsQuery, listIdentities, searchIndex } from '../db/queries'
import type { HandlerContext } from './context'
import { customerSnippet } from './customer-snippet'
import { highlightWords, searchWords, snippetOf } from './search-highlight'

export function searchHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'search.query'> {
  return {
    'search.query': (args) => {
      const query = ftsQuery(args.text)
      if (!query) return []
      // Filters, order and limit all inside the FTS query; highlights only for the rows returned.
      const words = searchWords(args.text)
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
          title: highlightWords(row.title, words),
          // The index holds a customer's addresses as search tokens (phones also by their last digits), not as text to read.
          snippet: row.kind === 'customer' ? customerSnippet(listIdentities(ctx.db, row.customerId), args.text) : snippetOf(row.body, words),
        }),
      )
    },
  }
}
