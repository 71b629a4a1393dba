/** Errors every store engine throws alike, so callers recognise them whatever the engine. */

export class InvalidCursorError extends Error {
  constructor() {
    super('invalid page cursor: pass back the `next` value of a previous page unchanged')
    this.name = 'InvalidCursorError'
  }
}

/** The database records a schema version this server does not know: a newer server wrote it. */
export class NewerDatabaseError extends Error {
  constructor(database: string, found: number, known: number) {
    super(
      `The database ${database} is at schema version ${found}, but this server only knows versions up to ${known}. ` +
        'It was written by a newer Threadline server; upgrade the server or point it at another database.',
    )
    this.name = 'NewerDatabaseError'
  }
}
