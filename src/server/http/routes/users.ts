import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { StoreReader } from '../../store/store'
import { userOf } from '../auth'
import { ErrorBody } from '../errors'
import { UserOut } from '../schemas'

export const userRoutes =
  (store: StoreReader): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/me',
      { schema: { tags: ['users'], summary: 'The user this token belongs to', response: { 200: UserOut, 401: ErrorBody } } },
      async (request) => userOf(request),
    )
    app.get(
      '/users',
      {
        schema: {
          tags: ['users'],
          summary: 'All users (agents and supervisors)',
          response: { 200: z.object({ items: z.array(UserOut) }), 401: ErrorBody },
        },
      },
      async () => ({ items: await store.listUsers() }),
    )
  }
