import type { Actor } from '../../shared/actors'
import type { ActorWrite, Store, StoreWriter } from './store'

/** `target` with some methods replaced; the others still run on `target` itself (the stores' methods use `this`). */
export function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  // Bound once per method: every store call of every write passes through here.
  const bound = new Map<PropertyKey, unknown>()
  return new Proxy(target, {
    get(object, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T]
      const value: unknown = Reflect.get(object, property, receiver)
      if (typeof value !== 'function') return value
      let method = bound.get(property)
      if (method === undefined) bound.set(property, (method = value.bind(object)))
      return method
    },
  })
}

/**
 * The store, with every write's writer wrapped by `wrap`: whatever `write` and `writeEach` run
 * sees the wrapped writer, so the wrapper takes part in the same transaction as the writes it watches.
 */
export function wrappingWrites(store: Store, wrap: (w: StoreWriter, actor: Actor | null) => StoreWriter): Store {
  const write: Store['write'] = (fn, actor) => store.write((w) => fn(wrap(w, actor ?? null)), actor)
  const writeEach: Store['writeEach'] = <T>(writes: readonly ActorWrite<T>[]) =>
    store.writeEach(writes.map(({ actor, run }) => ({ actor, run: (w: StoreWriter) => run(wrap(w, actor)) })))
  return overriding(store, { write, writeEach })
}
