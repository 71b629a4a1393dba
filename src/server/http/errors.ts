import type { FastifyError, FastifyInstance } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { NotFoundError } from '../connectors/delivery'
import { BadRequestError, ConflictError } from '../errors'
import { InvalidCursorError } from '../store/errors'

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(['bad_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'rate_limited', 'internal']),
      message: z.string(),
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ForbiddenError'
  }
}

export const errorBody = (code: ErrorBody['error']['code'], message: string, issues?: ErrorBody['error']['issues']): ErrorBody => ({
  error: issues ? { code, message, issues } : { code, message },
})

/** Every error leaves as `{ error: { code, message, issues? } }` with its proper status. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'request'
      const issues = err.validation.map((v) => ({
        path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }))
      const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ')
      return reply.status(400).send(errorBody('bad_request', `invalid ${where}: ${summary}`, issues))
    }
    if (err instanceof BadRequestError || err instanceof InvalidCursorError) {
      const issues = err instanceof BadRequestError && err.issues.length > 0 ? err.issues : undefined
      return reply.status(400).send(errorBody('bad_request', err.message, issues))
    }
    if (err instanceof ForbiddenError) return reply.status(403).send(errorBody('forbidden', err.message))
    if (err instanceof ConflictError) return reply.status(409).send(errorBody('conflict', err.message))
    if (err instanceof NotFoundError) return reply.status(404).send(errorBody('not_found', err.message))
    if (isResponseSerializationError(err)) {
      request.log.error({ err, issues: err.cause.issues }, 'response did not match its schema')
      return reply.status(500).send(errorBody('internal', 'the server produced an invalid response'))
    }
    // Fastify's own client errors (malformed JSON, wrong content type, body too large).
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      const code = err.statusCode === 404 ? 'not_found' : err.statusCode === 401 ? 'unauthorized' : 'bad_request'
      return reply.status(err.statusCode).send(errorBody(code, err.message))
    }
    request.log.error({ err }, 'request failed')
    return reply.status(500).send(errorBody('internal', 'internal server error'))
  })
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  )
}
