import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { User } from '../../shared/domain'
import { bearerToken } from '../auth/tokens'
import { authenticate } from '../auth/users'
import type { StoreReader } from '../store/store'
import { errorBody } from './errors'

const users = new WeakMap<FastifyRequest, User>()

/** The authenticated user of a request that passed `requireToken`. */
export function userOf(request: FastifyRequest): User {
  const user = users.get(request)
  if (!user) throw new Error('userOf() called on a route without token auth')
  return user
}

/** Adds Bearer-token authentication to every route of `app` (an encapsulated plugin scope). */
export function requireToken(app: FastifyInstance, store: StoreReader): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization)
    const user = authenticate(store, token)
    if (!user) {
      const message = token ? 'invalid API token' : 'missing API token: send "Authorization: Bearer <token>"'
      return reply.status(401).header('www-authenticate', 'Bearer').send(errorBody('unauthorized', message))
    }
    users.set(request, user)
  })
}
