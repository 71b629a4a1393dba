import { useId } from 'react'
import type { LiveConversation } from '../../../../../shared/ipc'
import type { LiveQueues } from '../../../../../shared/reporting/live-queues'
import { ConversationTable } from './ConversationTable'
import type { ConversationTarget } from './labels'

/** The customers waiting longest for an answer, longest first; a name opens their conversation. */
export function LongestWaits({
  waits,
  open,
  onOpenConversation,
}: {
  waits: LiveQueues['longestWaits']
  /** The open conversations, for their customers' names (everyone waiting is among them). */
  open: LiveConversation[] | undefined
  onOpenConversation(target: ConversationTarget): void
}) {
  const headingId = useId()
  const nameOf = new Map(open?.map((c) => [c.conversationId, c.customerName]))
  return (
    <section className="live-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Waiting longest</h2>
      {waits.length === 0 ? (
        <p className="live-empty">Nobody is waiting for an answer.</p>
      ) : !open ? (
        <p className="live-empty" aria-busy="true">
          Loading…
        </p>
      ) : (
        <ConversationTable
          label="Waiting longest"
          rows={waits.map((w) => ({ ...w, customerName: nameOf.get(w.conversationId) ?? null, subject: null, waitingSince: w.since }))}
          withSubject={false}
          onOpenConversation={onOpenConversation}
        />
      )}
    </section>
  )
}
