import { newId } from '../../../shared/ids'
import { userActor } from '../../../shared/actors'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Channel, ConversationStatus, Id, Priority, Timestamp, type Conversation, type User } from '../../../shared/domain'
import { MoveItemsFields, NoteArgs, ReplyArgs, type MutationName } from '../../../shared/mutations'
import { NotFoundError } from '../../connectors/delivery'
import { BadRequestError } from '../../errors'
import type { StoreReader } from '../../store/store'
import { canSeeConversation, scopeOf } from '../../sync/access'
import type { ChangeFeed } from '../../sync/commit'
import { applyInTransaction, applyMutation } from '../../sync/mutations'
import { userOf } from '../auth'
import { ErrorBody, ForbiddenError } from '../errors'
import { ConversationOut, IdParams, Limit, MessageOut, NoteOut, pageOf } from '../schemas'

export const conversationRoutes =
  (store: StoreReader, feed: ChangeFeed): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['conversations']

    const visible = async (user: User, id: string): Promise<Conversation> => {
      const conversation = await store.getConversation(id)
      if (!conversation) throw new NotFoundError(`unknown conversation ${id}`)
      if (!canSeeConversation(user, conversation)) {
        throw new ForbiddenError(`conversation ${id} is in inbox "${conversation.inbox}", which you cannot access`)
      }
      return conversation
    }

    /** Runs one agent action through the same code as the socket's push. */
    const act = async (user: User, name: MutationName, args: unknown): Promise<void> => {
      const result = await applyMutation(feed.as(userActor(user.id)), user, { name, args })
      if (result.outcome === 'rejected') throw new BadRequestError(result.error ?? `${name} was rejected`)
    }

    app.get(
      '/conversations',
      {
        schema: {
          tags,
          summary: 'List conversations you may see, most recent activity first',
          querystring: z.object({
            status: ConversationStatus.optional(),
            inbox: z.string().max(200).optional(),
            channel: Channel.optional(),
            customerId: Id.optional(),
            assigneeId: Id.optional().describe('A user id, or "none" for unassigned conversations'),
            limit: Limit,
            after: z.string().max(500).optional(),
          }),
          response: { 200: pageOf(ConversationOut), 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) => {
        const q = request.query
        return store.listConversations({
          status: q.status,
          inbox: q.inbox,
          channel: q.channel,
          customerId: q.customerId,
          assigneeId: q.assigneeId === 'none' ? null : q.assigneeId,
          scope: scopeOf(userOf(request)),
          limit: q.limit,
          after: q.after,
        })
      },
    )

    app.get(
      '/conversations/:id',
      {
        schema: {
          tags,
          summary: 'One conversation',
          params: IdParams,
          response: { 200: ConversationOut, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => visible(userOf(request), request.params.id),
    )

    app.patch(
      '/conversations/:id',
      {
        schema: {
          tags,
          summary: 'Change the status, the assignee and/or the priority of a conversation',
          params: IdParams,
          body: z
            .object({
              status: ConversationStatus.optional(),
              snoozedUntil: Timestamp.nullable().optional(),
              assigneeId: Id.nullable().optional(),
              team: z.string().max(100).nullable().optional(),
              priority: Priority.optional(),
            })
            .refine((b) => b.status !== undefined || b.assigneeId !== undefined || b.team !== undefined || b.priority !== undefined, {
              message: 'set at least one of status, assigneeId, team, priority',
            }),
          response: { 200: ConversationOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        const user = userOf(request)
        const current = await visible(user, request.params.id)
        const body = request.body
        const now = Date.now()
        // Status, assignee and priority change together or not at all.
        await feed.as(userActor(user.id))(async (w) => {
          const steps: { name: MutationName; args: unknown }[] = []
          if (body.status !== undefined) {
            steps.push({ name: 'setStatus', args: { conversationId: current.id, status: body.status, snoozedUntil: body.snoozedUntil } })
          }
          if (body.assigneeId !== undefined || body.team !== undefined) {
            steps.push({
              name: 'assign',
              args: { conversationId: current.id, assigneeId: body.assigneeId === undefined ? current.assigneeId : body.assigneeId, team: body.team },
            })
          }
          if (body.priority !== undefined) steps.push({ name: 'setPriority', args: { conversationId: current.id, priority: body.priority } })
          for (const step of steps) {
            const outcome = await applyInTransaction(w, user, step, now)
            if (outcome && 'rejected' in outcome) throw new BadRequestError(outcome.rejected)
          }
        })
        return visible(user, current.id)
      },
    )

    app.get(
      '/conversations/:id/messages',
      {
        schema: {
          tags,
          summary: 'Messages of a conversation, oldest first',
          params: IdParams,
          querystring: z.object({ limit: Limit, after: z.string().max(500).optional() }),
          response: { 200: pageOf(MessageOut), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request) => {
        await visible(userOf(request), request.params.id)
        return store.listMessages(request.params.id, request.query.limit, request.query.after)
      },
    )

    app.post(
      '/conversations/:id/reply',
      {
        schema: {
          tags,
          summary: 'Reply to the customer on any channel from this conversation (by default the one they last used; queued for delivery)',
          params: IdParams,
          body: ReplyArgs.omit({ conversationId: true, messageId: true }).extend({
            messageId: Id.optional().describe('Your id for the message, to make retries safe; generated when absent'),
          }),
          response: { 201: MessageOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const conversation = await visible(user, request.params.id)
        const messageId = request.body.messageId ?? newId()
        await act(user, 'reply', { ...request.body, messageId, conversationId: conversation.id })
        const message = await store.getMessage(messageId)
        if (!message) throw new Error(`reply ${messageId} was applied but cannot be read back`)
        return reply.status(201).send(message)
      },
    )

    app.post(
      '/conversations/:id/notes',
      {
        schema: {
          tags,
          summary: 'Add an internal note (never sent to the customer)',
          params: IdParams,
          body: NoteArgs.omit({ conversationId: true, noteId: true }).extend({
            noteId: Id.optional().describe('Your id for the note, to make retries safe; generated when absent'),
          }),
          response: { 201: NoteOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const conversation = await visible(user, request.params.id)
        const noteId = request.body.noteId ?? newId()
        await act(user, 'note', { ...request.body, noteId, conversationId: conversation.id })
        const note = await store.getNote(noteId)
        if (!note) throw new Error(`note ${noteId} was applied but cannot be read back`)
        return reply.status(201).send(note)
      },
    )

    const MovedOut = z.object({ moveId: Id, from: ConversationOut, to: ConversationOut })

    app.post(
      '/conversations/:id/moves',
      {
        schema: {
          tags,
          summary: 'Move messages and calls into another conversation of the same customer, or split them into a new one',
          params: IdParams,
          body: MoveItemsFields.omit({ fromConversationId: true, moveId: true, toConversationId: true })
            .extend({
              moveId: Id.optional().describe('Your id for the move, to make retries safe and to undo it; generated when absent'),
              toConversationId: Id.optional().describe('The conversation to move into; with `split`, the new conversation’s id (generated when absent)'),
            }),
          response: { 201: MovedOut, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
        },
      },
      async (request, reply) => {
        const user = userOf(request)
        const from = await visible(user, request.params.id)
        const { moveId = newId(), toConversationId, ...rest } = request.body
        if (!toConversationId && !rest.split) throw new BadRequestError('name the conversation to move into (toConversationId), or split')
        const to = toConversationId ?? newId()
        await act(user, 'moveItems', { ...rest, moveId, fromConversationId: from.id, toConversationId: to })
        return reply.status(201).send({ moveId, from: await visible(user, from.id), to: await visible(user, to) })
      },
    )

    app.post(
      '/moves/:id/undo',
      {
        schema: {
          tags,
          summary: 'Move back what a move or split moved (what is still where it put it)',
          params: IdParams,
          response: { 204: z.null(), 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        await act(userOf(request), 'undoMove', { moveId: request.params.id })
        return reply.status(204).send(null)
      },
    )
  }
