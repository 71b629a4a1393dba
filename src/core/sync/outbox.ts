import type { Database } from 'better-sqlite3'
import type { Call, Channel, Conversation, EntityName, Message, Note } from '../../shared/domain'
import { MUTATION_ARGS, type MutationArgs, type MutationName } from '../../shared/mutations'
import {
  deleteOutbox,
  getConversation,
  getEntity,
  getOutbox,
  getSyncMeta,
  getUser,
  insertOutbox,
  isReportAction,
  listOutboxForConversations,
  restoreServerEntity,
  writeLocalEntity,
  type OutboxRow,
} from '../db/queries'
import { applyMoveItems, applyUndoMove, rowsOfMove } from './local-moves'
import { applySummaryLocally, discardSummaryLocally, isSummaryAction } from './local-summaries'
import { applyViewLocally, isViewAction, rebaseViews } from './local-views'

/**
 * Agent actions on the cache side: queued in the outbox and applied optimistically in the
 * same transaction, so what the agent sees and what will be sent can never disagree.
 */

export interface Author {
  id: string | null
  name: string
}

function localAuthor(db: Database): Author {
  const userId = getSyncMeta(db)?.userId ?? null
  const user = userId ? getUser(db, userId) : null
  return { id: userId, name: user?.name ?? 'You' }
}

/** The outbox row's args as the shared schema reads them. */
function parsedArgs<N extends MutationName>(name: N, args: unknown): MutationArgs<N> {
  return MUTATION_ARGS[name].parse(args) as MutationArgs<N>
}

/** What the server puts on a reply by default (mutations.ts), shown until its row arrives. */
function replySubject(subject: string | null): string | null {
  if (!subject) return null
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`
}

function writeConversation(db: Database, conversation: Conversation, patch: Partial<Conversation>, at: number): void {
  writeLocalEntity(db, 'conversation', { ...conversation, ...patch, updatedAt: Math.max(conversation.updatedAt, at) })
}

/**
 * Applies one queued action to what the UI reads. Idempotent, because a rebase applies it
 * again on top of each newer server row until the server has acknowledged it.
 */
/** What an action that starts a conversation says about it; null for actions on an existing one. */
function startedBy(row: OutboxRow): { customerId: string; channel: Channel; inbox: string; subject: string | null } | null {
  if (row.name === 'reply') {
    const args = parsedArgs('reply', row.args)
    if (!args.channel || !args.customerId || !args.inbox) return null
    return { customerId: args.customerId, channel: args.channel, inbox: args.inbox, subject: args.subject ?? null }
  }
  if (row.name === 'logCall') {
    const args = parsedArgs('logCall', row.args)
    return args.inbox ? { customerId: args.customerId, channel: 'voice', inbox: args.inbox, subject: null } : null
  }
  return null
}

/** The conversation as the server will start it (mutations.ts startedConversation), until its row arrives. */
function startLocally(db: Database, row: OutboxRow, author: Author): Conversation | null {
  const start = startedBy(row)
  if (!start) return null
  const conversation: Conversation = {
    id: row.conversationId,
    customerId: start.customerId,
    channel: start.channel,
    inbox: start.inbox,
    subject: start.subject,
    status: 'open',
    snoozedUntil: null,
    assigneeId: author.id,
    team: author.id ? (getUser(db, author.id)?.team ?? null) : null,
    threadKey: `${start.channel}:${start.inbox}:${start.customerId}:agent:${row.conversationId}`,
    labels: [],
    priority: 'normal',
    previousConversationId: null,
    lastMessageAt: row.createdAt,
    waitingSince: null,
    createdAt: row.createdAt,
    updatedAt: row.createdAt,
  }
  writeLocalEntity(db, 'conversation', conversation)
  return conversation
}

export function applyLocally(db: Database, row: OutboxRow, author: Author = localAuthor(db)): void {
  if (isReportAction(row)) return
  // A saved view belongs to no conversation: its row is the view itself.
  if (isViewAction(row)) return applyViewLocally(db, row, author.id)
  // Nor does a summary action: a rating is this device's rating row; a regeneration has none.
  if (isSummaryAction(row)) return applySummaryLocally(db, row)
  const conversation = getConversation(db, row.conversationId) ?? startLocally(db, row, author)
  // Without the conversation there is nothing to show the action on; it still goes out.
  if (!conversation) return
  const at = row.createdAt
  switch (row.name) {
    case 'reply': {
      const args = parsedArgs('reply', row.args)
      // Once the server's row has arrived it is the truth (delivery status, its timestamps).
      if (getEntity(db, 'message', args.messageId)?.server) return
      // The channel chosen in the composer, inside the conversation on screen (as the server does).
      const channel = args.channel ?? conversation.channel
      const message: Message = {
        id: args.messageId,
        conversationId: conversation.id,
        customerId: conversation.customerId,
        channel,
        direction: 'outbound',
        authorId: author.id,
        authorName: author.name,
        subject: channel === 'email' ? (args.subject ?? replySubject(conversation.subject)) : null,
        text: args.text,
        html: args.html ?? null,
        attachments: [],
        externalId: null,
        deliveryStatus: 'queued',
        deliveryError: null,
        sentAt: at,
        updatedAt: at,
        template: args.template ?? null,
        cc: args.cc && args.cc.length > 0 ? args.cc : null,
      }
      writeLocalEntity(db, 'message', message)
      writeConversation(db, conversation, { lastMessageAt: Math.max(conversation.lastMessageAt, at), waitingSince: null }, at)
      return
    }
    case 'note': {
      const args = parsedArgs('note', row.args)
      if (getEntity(db, 'note', args.noteId)?.server) return
      const note: Note = {
        id: args.noteId,
        conversationId: conversation.id,
        customerId: conversation.customerId,
        authorId: author.id ?? 'me',
        authorName: author.name,
        text: args.text,
        mentions: args.mentions,
        createdAt: at,
      }
      writeLocalEntity(db, 'note', note)
      return
    }
    case 'assign': {
      const args = parsedArgs('assign', row.args)
      writeConversation(
        db,
        conversation,
        { assigneeId: args.assigneeId, ...(args.team !== undefined ? { team: args.team } : {}) },
        at,
      )
      return
    }
    case 'setStatus': {
      const args = parsedArgs('setStatus', row.args)
      writeConversation(
        db,
        conversation,
        { status: args.status, snoozedUntil: args.status === 'snoozed' ? (args.snoozedUntil ?? null) : null },
        at,
      )
      return
    }
    case 'label': {
      const args = parsedArgs('label', row.args)
      const labels = conversation.labels.filter((l) => !args.remove.includes(l))
      for (const label of args.add) if (!labels.includes(label)) labels.push(label)
      writeConversation(db, conversation, { labels }, at)
      return
    }
    case 'logCall': {
      const args = parsedArgs('logCall', row.args)
      if (getEntity(db, 'call', args.callId)?.server) return
      const call: Call = {
        id: args.callId,
        conversationId: conversation.id,
        customerId: conversation.customerId,
        direction: args.direction,
        status: 'completed',
        outcome: args.outcome,
        durationSeconds: args.durationSeconds,
        recordingUrl: null,
        transcript: null,
        notes: args.notes.trim() === '' ? null : args.notes,
        agentId: author.id,
        externalId: null,
        startedAt: Math.max(0, at - args.durationSeconds * 1000),
        updatedAt: at,
      }
      writeLocalEntity(db, 'call', call)
      writeConversation(db, conversation, { lastMessageAt: Math.max(conversation.lastMessageAt, at) }, at)
      return
    }
    case 'setPriority': {
      const args = parsedArgs('setPriority', row.args)
      writeConversation(db, conversation, { priority: args.priority }, at)
      return
    }
    case 'moveItems':
      applyMoveItems(db, parsedArgs('moveItems', row.args), author, at)
      return
    case 'undoMove':
      applyUndoMove(db, parsedArgs('undoMove', row.args), author, at)
      return
    case 'callNote': {
      const args = parsedArgs('callNote', row.args)
      const call = getEntity(db, 'call', args.callId)?.current
      if (!call) return
      writeLocalEntity(db, 'call', { ...call, notes: args.notes.trim() === '' ? null : args.notes, updatedAt: Math.max(call.updatedAt, at) })
      return
    }
  }
}

/** Re-applies the queued actions on these conversations over the rows just written. */
export function rebase(db: Database, conversationIds: Iterable<string>): void {
  const rows = listOutboxForConversations(db, [...new Set(conversationIds)])
  if (rows.length === 0) return
  const author = localAuthor(db)
  for (const row of rows) applyLocally(db, row, author)
}

export interface QueuedAction {
  name: MutationName
  args: unknown
  conversationId: string
  /** The message or note the action creates. */
  itemId: string | null
}

/** Queues an action and shows it at once, in one transaction. Returns its mutation id. */
export function enqueueAction(db: Database, action: QueuedAction, now: number = Date.now()): OutboxRow {
  const [row] = enqueueActions(db, [action], now)
  if (!row) throw new Error('an action was queued without its outbox row')
  return row
}

/**
 * Queues many actions and shows them, in ONE transaction (a bulk step): all of them or none.
 * The rows are applied as written instead of read back, with the author looked up once.
 */
export function enqueueActions(db: Database, actions: readonly QueuedAction[], now: number = Date.now()): OutboxRow[] {
  return db.transaction(() => {
    const author = localAuthor(db)
    return actions.map((action) => {
      const mutationId = insertOutbox(db, { ...action, createdAt: now })
      const row: OutboxRow = { ...action, mutationId, state: 'pending', error: null, createdAt: now }
      applyLocally(db, row, author)
      return row
    })
  })()
}

/** The kind of row an action's `itemId` names; null when the action shows on no entity row (a summary action). */
function itemEntity(row: OutboxRow): EntityName | null {
  if (isReportAction(row)) return null
  if (isViewAction(row)) return 'savedView'
  if (isSummaryAction(row)) return null
  return row.name === 'note' ? 'note' : row.name === 'callNote' || row.name === 'logCall' ? 'call' : 'message'
}

/** Undoes an action that has not reached the server: its rows go back to the server's copy. */
export function discardAction(db: Database, mutationId: number): OutboxRow | null {
  return db.transaction(() => {
    const row = getOutbox(db, mutationId)
    if (!row) return null
    // A move touches two conversations and every item it moved; read what it moved before its row goes.
    const moved = row.name === 'moveItems' || row.name === 'undoMove' ? rowsOfMove(db, row) : []
    deleteOutbox(db, mutationId)
    restoreServerEntity(db, 'conversation', row.conversationId)
    const itemKind = itemEntity(row)
    // A summary action names the summary, which it never changed: a story written on this device stays.
    if (row.itemId && itemKind) restoreServerEntity(db, itemKind, row.itemId)
    if (isSummaryAction(row)) discardSummaryLocally(db, row)
    for (const { entity, id } of moved) restoreServerEntity(db, entity, id)
    rebase(db, [row.conversationId, ...moved.filter((m) => m.entity === 'conversation').map((m) => m.id)])
    // Another queued save of the same view still shows over the server's copy.
    if (isViewAction(row)) rebaseViews(db, getSyncMeta(db)?.userId ?? null)
    return row
  })()
}

/**
 * Sends a refused action again. It gets a new mutation id: the server treats ids at or below
 * the last one it processed from this client as already done.
 */
export function retryAction(db: Database, mutationId: number): OutboxRow | null {
  return db.transaction(() => {
    const row = getOutbox(db, mutationId)
    if (!row) return null
    if (row.state === 'pending') return row
    deleteOutbox(db, mutationId)
    const newId = insertOutbox(db, {
      name: row.name,
      args: row.args,
      conversationId: row.conversationId,
      itemId: row.itemId,
      createdAt: row.createdAt,
    })
    return getOutbox(db, newId)
  })()
}
