import { useState } from 'react'
import { DRILL_PAGE_SIZE } from '../../../../../shared/reporting/drill-pages'
import { Dialog } from '../../../lib/Dialog'
import { Refusal } from '../../admin/parts'
import { PageButtons } from '../PageButtons'
import { ConversationTable } from './ConversationTable'
import type { ConversationTarget, Drill } from './labels'
import { OPEN_CONVERSATIONS, useLiveFigure } from './queries'

/** The conversations behind a picked number, a page at a time and kept live; a row opens its conversation in the workspace. */
export function ConversationsDialog({ drill, onOpenConversation, onClose }: { drill: Drill; onOpenConversation(target: ConversationTarget): void; onClose(): void }) {
  const [offset, setOffset] = useState(0)
  // An agent's count has no figure of its own: it is their share of the open conversations.
  const figure = 'figure' in drill ? drill.figure : { ...OPEN_CONVERSATIONS, assigneeId: drill.assigneeId }
  const query = useLiveFigure({ ...figure, offset, limit: DRILL_PAGE_SIZE })
  const page = query.data
  // The list is live: when it shrinks below the page on screen, show its last page instead.
  if (page && page.offset === offset && offset > 0 && offset >= page.total) setOffset(Math.max(0, Math.ceil(page.total / DRILL_PAGE_SIZE) - 1) * DRILL_PAGE_SIZE)
  return (
    <Dialog title={drill.title} onClose={onClose} className="live-conversations">
      <Refusal error={query.error} />
      <div className="live-conversations-list">
        {!page ? (
          !query.error && (
            <p className="live-empty" aria-busy="true">
              Loading…
            </p>
          )
        ) : page.total === 0 ? (
          <p className="live-empty">No conversations right now.</p>
        ) : (
          <ConversationTable label={drill.title} rows={page.rows} withSubject onOpenConversation={onOpenConversation} />
        )}
      </div>
      {page && <PageButtons page={page} pageSize={DRILL_PAGE_SIZE} onOffset={setOffset} />}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
