import { systemActor } from '../../src/shared/actors'
import type { Customer } from '../../src/shared/domain'
import type { Store, StoreWriter } from '../../src/server/store/store'

/**
 * The writes of the change-log test (store/change-log.test.ts): what each writer commits is
 * fixed in advance, so the test knows every change a reader must receive without asking the
 * writers, who may run in processes of their own.
 */

/** One transaction: a write of 1–3 puts that commits or throws, or a group commit whose items may throw alone. */
export type PlannedTransaction =
  | { kind: 'write'; ids: string[]; fails: boolean }
  | { kind: 'each'; items: { ids: string[]; fails: boolean }[] }

export function plannedTransactions(writer: number, transactions: number): PlannedTransaction[] {
  return Array.from({ length: transactions }, (_, t): PlannedTransaction => {
    const idsOf = (n: number, part = 0): string[] => Array.from({ length: n }, (_, p) => `w${writer}-t${t}-i${part}-p${p}`)
    if (t % 5 === 4) {
      return {
        kind: 'each',
        items: [
          { ids: idsOf(1, 0), fails: false },
          { ids: idsOf(2, 1), fails: true },
          { ids: idsOf(1 + ((t + writer) % 2), 2), fails: false },
        ],
      }
    }
    return { kind: 'write', ids: idsOf(1 + ((t + writer) % 3)), fails: t % 7 === 3 }
  })
}

/** The customer ids the writer's transactions commit. */
export function committedIds(writer: number, transactions: number): string[] {
  return plannedTransactions(writer, transactions).flatMap((tx) =>
    tx.kind === 'write' ? (tx.fails ? [] : tx.ids) : tx.items.filter((i) => !i.fails).flatMap((i) => i.ids),
  )
}

const customerOf = (id: string): Customer => ({ id, name: id, labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 })

class PlannedFailure extends Error {}

/** Puts each id, reading its own write back in between, as the ingest reads before it writes. */
async function putAll(w: StoreWriter, ids: readonly string[], fails: boolean): Promise<void> {
  for (const id of ids) {
    await w.put('customer', customerOf(id))
    if (!(await w.getCustomer(id))) throw new Error(`a write does not see its own put of ${id}`)
  }
  if (fails) throw new PlannedFailure('planned failure')
}

/** Runs the writer's planned transactions on `store`, one after the other. */
export async function runWriter(store: Store, writer: number, transactions: number): Promise<void> {
  const actor = systemActor(`writer-${writer}`)
  for (const [t, tx] of plannedTransactions(writer, transactions).entries()) {
    // A moment between transactions, as between a server's requests: a writer that begins again
    // at once would keep SQLite's lock from the others, which only retry now and then.
    await new Promise((r) => setTimeout(r, (t + writer) % 3))
    if (tx.kind === 'write') {
      try {
        await store.write((w) => putAll(w, tx.ids, tx.fails), actor)
      } catch (err) {
        if (!(err instanceof PlannedFailure)) throw err
      }
    } else {
      const { outcomes } = await store.writeEach(tx.items.map((item) => ({ actor, run: (w: StoreWriter) => putAll(w, item.ids, item.fails) })))
      for (const outcome of outcomes) if (!outcome.ok && !(outcome.error instanceof PlannedFailure)) throw outcome.error
    }
  }
}
