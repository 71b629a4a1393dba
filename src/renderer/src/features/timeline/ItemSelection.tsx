import { useEffect, useMemo, useState } from 'react'
import type { Conversation } from '../../../../shared/domain'
import { useMoveItems, useSplit, useUndoMove } from '../../api/queries'
import { Icon } from '../../lib/icons'
import { pickerConversations, pickerLabels } from './conversation-picker'
import { itemCount } from './moved-items'

/** Messages and calls the agent ticked in the timeline: always of one conversation, as a move takes them. */
export interface PickedItems {
  conversationId: string
  messageIds: string[]
  callIds: string[]
}

export const NOTHING_PICKED: PickedItems = { conversationId: '', messageIds: [], callIds: [] }

/** Ticks or unticks one item; an item of another conversation starts the selection afresh. */
export function togglePicked(picked: PickedItems, item: { kind: 'message' | 'call'; id: string; conversationId: string }): PickedItems {
  const base = picked.conversationId === item.conversationId ? picked : { ...NOTHING_PICKED, conversationId: item.conversationId }
  const key = item.kind === 'message' ? 'messageIds' : 'callIds'
  const ids = base[key].includes(item.id) ? base[key].filter((id) => id !== item.id) : [...base[key], item.id]
  return { ...base, [key]: ids }
}

/** How long the Undo of a move stays offered. */
const UNDO_MS = 12_000

interface Done {
  moveId: string
  said: string
  /** After a split the new conversation is on screen; its undo brings back the one the items came from. */
  backTo: string | null
}

/**
 * What the agent can do with the ticked items: split them into a new conversation or move them
 * into another of the customer's; then an Undo for a while. Both go through the outbox, so they
 * work offline like every action.
 */
export function ItemSelection({
  customerId,
  conversations,
  picked,
  onClear,
  onOpenConversation,
}: {
  customerId: string
  conversations: Conversation[]
  picked: PickedItems
  onClear: () => void
  onOpenConversation?: ((conversationId: string) => void) | undefined
}) {
  const split = useSplit(customerId)
  const move = useMoveItems(customerId)
  const undo = useUndoMove(customerId)
  const [done, setDone] = useState<Done | null>(null)
  const others = useMemo(() => conversations.filter((c) => c.id !== picked.conversationId), [conversations, picked.conversationId])
  const labels = useMemo(() => pickerLabels(conversations), [conversations])
  const count = itemCount(picked.messageIds.length, picked.callIds.length)
  const error = split.error ?? move.error ?? undo.error

  useEffect(() => {
    if (!done) return
    const timer = setTimeout(() => setDone(null), UNDO_MS)
    return () => clearTimeout(timer)
  }, [done])

  const args = { fromConversationId: picked.conversationId, messageIds: picked.messageIds, callIds: picked.callIds }
  function splitOut(): void {
    split.mutate(args, {
      onSuccess: ({ moveId, conversationId }) => {
        setDone({ moveId, said: `Split ${count} into a new conversation`, backTo: picked.conversationId })
        onClear()
        onOpenConversation?.(conversationId)
      },
    })
  }
  function moveTo(toConversationId: string): void {
    move.mutate(
      { ...args, toConversationId },
      {
        onSuccess: ({ moveId }) => {
          setDone({ moveId, said: `Moved ${count} to ${labels.get(toConversationId) ?? 'another conversation'}`, backTo: null })
          onClear()
        },
      },
    )
  }

  const choosing = picked.messageIds.length + picked.callIds.length > 0
  return (
    <>
      {choosing && (
        <div className="item-selection" role="toolbar" aria-label="Selected messages">
          <span className="item-selection-count">{count} selected</span>
          <button type="button" className="button" onClick={splitOut} disabled={split.isPending}>
            Split into new conversation
          </button>
          {others.length > 0 && (
            <label className="item-selection-move">
              <span className="visually-hidden">Move to…</span>
              <select aria-label="Move to…" value="" onChange={(e) => e.target.value && moveTo(e.target.value)} disabled={move.isPending}>
                <option value="">Move to…</option>
                {pickerConversations(others, '').map((c) => (
                  <option key={c.id} value={c.id}>
                    {labels.get(c.id)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <button type="button" className="button button-quiet" onClick={onClear}>
            Cancel
          </button>
        </div>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error.message}
        </p>
      )}
      {done && (
        <div className="move-toast" role="status" data-testid="move-toast">
          <Icon name="check" size={13} />
          <span>{done.said}</span>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              undo.mutate({ moveId: done.moveId })
              if (done.backTo) onOpenConversation?.(done.backTo)
              setDone(null)
            }}
          >
            Undo
          </button>
        </div>
      )}
    </>
  )
}
