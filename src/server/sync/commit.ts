import type { Actor } from '../../shared/actors'
import type { ActorWrite, Store, StoreWriter, StoredChange, WriteOutcome } from '../store/store'

/** Runs one transaction and, after it commits, hands its changes to every listener. */
export type Commit = <T>(fn: (w: StoreWriter) => Promise<T>) => Promise<T>

export type ChangeListener = (changes: StoredChange[]) => void

/**
 * The only way server code writes: listeners (socket pokes, outbound delivery) hear about a
 * change strictly after it is durable, and in commit order (the store announces each commit
 * before the next write begins).
 */
export class ChangeFeed {
  private readonly listeners = new Set<ChangeListener>()

  constructor(private readonly store: Store) {
    store.onCommit((changes) => this.publish(changes))
  }

  /**
   * A commit whose changes are recorded as made by `actor`. Whoever starts the work (a socket
   * for its user, a route for its caller, a connector) binds it, so the code below never guesses.
   */
  as(actor: Actor): Commit {
    return async (fn) => (await this.store.write(fn, actor)).result
  }

  /** Group commit (see Store.writeEach): one transaction, one fan-out, an outcome per write. */
  async commitEach<T>(writes: readonly ActorWrite<T>[]): Promise<WriteOutcome<T>[]> {
    return (await this.store.writeEach(writes)).outcomes
  }

  private publish(changes: StoredChange[]): void {
    for (const listener of this.listeners) {
      try {
        listener(changes)
      } catch (err) {
        // A failing listener must not undo or hide a committed write from the others.
        console.error('change listener failed', err)
      }
    }
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
