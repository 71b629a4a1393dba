import { useId } from 'react'
import type { LiveConversation } from '../../../../../shared/ipc'
import type { Page } from '../../../../../shared/reporting/drill-pages'
import { ConversationTable } from './ConversationTable'
import type { ConversationTarget } from './labels'

/** The customers waiting longest for an answer, longest first (the first page of those waiting now); a name opens their conversation. */
export function LongestWaits({ waiting, onOpenConversation }: { waiting: Page<LiveConversation> | undefined; onOpenConversation(target: ConversationTarget): void }) {
  const headingId = useId()
  return (
    <section className="live-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Waiting longest</h2>
      {!waiting ? (
        <p className="live-empty" aria-busy="true">
          Loading…
        </p>
      ) : waiting.total === 0 ? (
        <p className="live-empty">Nobody is waiting for an answer.</p>
      ) : (
        <ConversationTable label="Waiting longest" rows={waiting.rows} withSubject={false} onOpenConversation={onOpenConversation} />
      )}
    </section>
  )
}
