import { z } from 'zod'

/** Input the server refuses: REST answers 400, the socket acks `bad_request`. */
export class BadRequestError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message)
    this.name = 'BadRequestError'
  }

  static fromZod(what: string, error: z.ZodError): BadRequestError {
    const issues = error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }))
    const summary = issues.map((i) => (i.path === '(root)' ? i.message : `${i.path}: ${i.message}`)).join('; ')
    return new BadRequestError(`invalid ${what}: ${summary}`, issues)
  }
}

/** Parses with a schema, turning failure into a BadRequestError that names what was wrong. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw BadRequestError.fromZod(what, result.error)
  return result.data
}

/** A request that is well formed but cannot be done in the present state (e.g. removing the last admin): REST answers 409. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConflictError'
  }
}
