import { newId } from '../../shared/ids'
import type { Conversation } from '../../shared/domain'
import type { BulkAction, IpcHandlers } from '../../shared/ipc'
import { MUTATION_ARGS } from '../../shared/mutations'
import { getConversation } from '../db/queries'
import { IpcError } from '../errors'
import { enqueueActions, type QueuedAction } from '../sync/outbox'
import type { HandlerContext } from './context'

/** The action on one conversation, and the one that puts it back; null when it is already as asked. */
interface Step {
  forward: QueuedAction
  back: QueuedAction
  customerId: string
}

const sameLabels = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((l) => b.includes(l))

function stepFor(c: Conversation, action: BulkAction): Omit<Step, 'customerId'> | null {
  const conversationId = c.id
  const queued = (name: QueuedAction['name'], args: object): QueuedAction => ({ name, args: { conversationId, ...args }, conversationId, itemId: null })
  switch (action.kind) {
    case 'assign': {
      const teamChanges = action.team !== undefined && action.team !== c.team
      if (action.assigneeId === c.assigneeId && !teamChanges) return null
      const forward = { assigneeId: action.assigneeId, ...(action.team !== undefined ? { team: action.team } : {}) }
      return { forward: queued('assign', forward), back: queued('assign', { assigneeId: c.assigneeId, team: c.team }) }
    }
    case 'setStatus': {
      const until = action.status === 'snoozed' ? (action.snoozedUntil ?? null) : null
      if (action.status === c.status && until === (c.status === 'snoozed' ? c.snoozedUntil : null)) return null
      return {
        forward: queued('setStatus', { status: action.status, ...(until !== null ? { snoozedUntil: until } : {}) }),
        back: queued('setStatus', { status: c.status, ...(c.status === 'snoozed' ? { snoozedUntil: c.snoozedUntil } : {}) }),
      }
    }
    case 'label': {
      // Only what really changes, so the undo neither removes a label the conversation already had nor restores one it never had.
      const add = action.add.filter((l) => !c.labels.includes(l))
      const remove = action.remove.filter((l) => c.labels.includes(l) && !action.add.includes(l))
      if (add.length + remove.length === 0 || sameLabels(add, remove)) return null
      return { forward: queued('label', { add, remove }), back: queued('label', { add: remove, remove: add }) }
    }
    case 'setPriority': {
      if (action.priority === c.priority) return null
      return { forward: queued('setPriority', { priority: action.priority }), back: queued('setPriority', { priority: c.priority }) }
    }
  }
}

/** Undo plans kept for the latest steps: the undo is offered for a few seconds, not for the session. */
const KEPT_UNDOS = 20

export function bulkHandlers(ctx: HandlerContext): Pick<IpcHandlers, 'conversations.bulk' | 'conversations.bulkUndo'> {
  const undos = new Map<string, Step[]>()

  /** Queues every action in ONE transaction: the step is shown and sent whole or not at all. */
  function enqueueAll(actions: readonly QueuedAction[], customerIds: Iterable<string>): void {
    if (actions.length === 0) return
    enqueueActions(ctx.db, actions)
    ctx.emit('data.changed', { entities: ['conversation'], customerIds: [...new Set(customerIds)] })
    ctx.engine.schedulePush()
  }

  return {
    'conversations.bulk': ({ conversationIds, action }) => {
      const steps: Step[] = []
      for (const id of new Set(conversationIds)) {
        const conversation = getConversation(ctx.db, id)
        if (!conversation) throw new IpcError('not_found', `Conversation ${id} is not in this device's cache.`)
        const step = stepFor(conversation, action)
        if (step) steps.push({ ...step, customerId: conversation.customerId })
      }
      const first = steps[0]
      if (first) {
        // The one-conversation action's own rules (a snooze needs its time, …), checked before anything is queued.
        const checked = MUTATION_ARGS[first.forward.name].safeParse(first.forward.args)
        if (!checked.success) throw new IpcError('bad_request', checked.error.issues.map((i) => i.message).join('; '))
      }
      enqueueAll(
        steps.map((s) => s.forward),
        steps.map((s) => s.customerId),
      )
      const bulkId = newId()
      undos.set(bulkId, steps)
      for (const old of undos.keys()) {
        if (undos.size <= KEPT_UNDOS) break
        undos.delete(old)
      }
      return { bulkId, changed: steps.length }
    },
    'conversations.bulkUndo': ({ bulkId }) => {
      const steps = undos.get(bulkId)
      if (!steps) throw new IpcError('not_found', 'That step can no longer be undone.')
      undos.delete(bulkId)
      // A conversation that has left the cache since (moved out of the agent's inboxes) cannot be put back from here.
      const present = steps.filter((s) => getConversation(ctx.db, s.back.conversationId) !== null)
      enqueueAll(
        present.map((s) => s.back),
        present.map((s) => s.customerId),
      )
      return { changed: present.length }
    },
  }
}
