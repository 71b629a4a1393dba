import type { LiveConversation } from '../../../../../shared/ipc'
import { CHANNEL_LABELS } from '../../../lib/format'
import { ChannelIcon } from '../../../lib/icons'
import type { ConversationTarget } from './labels'
import { WaitedFor } from './parts'

export type ConversationTableRow = Pick<LiveConversation, 'conversationId' | 'customerId' | 'customerName' | 'subject' | 'channel' | 'inbox' | 'waitingSince'>

/** Conversations, one a row, each opening in the workspace from its customer's name (or a click anywhere on the row). */
export function ConversationTable({
  label,
  rows,
  withSubject,
  onOpenConversation,
}: {
  label: string
  rows: ConversationTableRow[]
  withSubject: boolean
  onOpenConversation(target: ConversationTarget): void
}) {
  return (
    <table className="live-table live-rows-open" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Customer</th>
          {withSubject && <th scope="col">Subject</th>}
          <th scope="col">Channel</th>
          <th scope="col">Inbox</th>
          <th scope="col" className="live-number">
            Waiting for
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((c) => (
          <tr key={c.conversationId} data-conversation={c.conversationId}>
            <td>
              <button type="button" className="live-row-link" onClick={() => onOpenConversation({ customerId: c.customerId, conversationId: c.conversationId })}>
                {c.customerName ?? 'Unknown customer'}
              </button>
            </td>
            {withSubject && <td className="live-subject">{c.subject ?? '—'}</td>}
            <td>
              <span className="live-row-name">
                <ChannelIcon channel={c.channel} />
                {CHANNEL_LABELS[c.channel]}
              </span>
            </td>
            <td className="live-inbox">{c.inbox}</td>
            <td className="live-number">{c.waitingSince === null ? '—' : <WaitedFor since={c.waitingSince} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
