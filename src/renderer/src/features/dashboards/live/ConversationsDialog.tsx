import { Dialog } from '../../../lib/Dialog'
import { Refusal } from '../../admin/parts'
import { ConversationTable } from './ConversationTable'
import type { ConversationTarget, Drill } from './labels'
import { OPEN_CONVERSATIONS, useLiveFigure } from './queries'

/** The conversations behind a picked number, kept live; a row opens its conversation in the workspace. */
export function ConversationsDialog({ drill, onOpenConversation, onClose }: { drill: Drill; onOpenConversation(target: ConversationTarget): void; onClose(): void }) {
  // An agent's count has no figure of its own: it is their share of the open conversations.
  const query = useLiveFigure('figure' in drill ? drill.figure : OPEN_CONVERSATIONS)
  const rows = 'assigneeId' in drill ? query.data?.filter((c) => c.assigneeId === drill.assigneeId) : query.data
  return (
    <Dialog title={drill.title} onClose={onClose} className="live-conversations">
      <Refusal error={query.error} />
      <div className="live-conversations-list">
        {!rows ? (
          !query.error && (
            <p className="live-empty" aria-busy="true">
              Loading…
            </p>
          )
        ) : rows.length === 0 ? (
          <p className="live-empty">No conversations right now.</p>
        ) : (
          <ConversationTable label={drill.title} rows={rows} withSubject onOpenConversation={onOpenConversation} />
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
