import { textSortKey } from '../../shared/reporting/drill-pages'

/**
 * Texts by number — a customer's name, a conversation's subject — ranked in a drill-down's order
 * of texts (ignoring case; empty counts as none), so that sorting a list by them compares numbers
 * instead of strings. A few changes are merged into the order kept; many have it sorted again.
 */
export class TextRanks {
  /** By number: the text's sort key, null or undefined for none. */
  private readonly keys: (string | null | undefined)[] = []
  /** The numbers with a text, by their text. */
  private sorted: number[] = []
  private rankOf = new Int32Array(0)
  /** Numbers whose text changed since `sorted` was last made; null when it must be made anew. */
  private changed: number[] | null = null

  set(n: number, text: string | null | undefined): void {
    const key = textSortKey(text)
    if ((this.keys[n] ?? null) === key) return
    this.keys[n] = key
    this.changed?.push(n)
  }

  /** Each number's rank, -1 for one without a text; equal texts share a rank. Not to be kept: the next change replaces it. */
  ranks(): Int32Array {
    if (this.changed === null || this.changed.length > this.sorted.length / 8) this.sortAll()
    else if (this.changed.length > 0) this.mergeChanged(this.changed)
    else return this.rankOf
    this.changed = []
    this.numberRanks()
    return this.rankOf
  }

  private sortAll(): void {
    const { keys } = this
    const sorted: number[] = []
    for (let n = 0; n < keys.length; n++) if (keys[n] != null) sorted.push(n)
    this.sorted = sorted.sort((a, b) => compare(keys[a]!, keys[b]!))
  }

  /** The order kept without the changed numbers, merged with them sorted. */
  private mergeChanged(changed: number[]): void {
    const { keys } = this
    const isChanged = new Uint8Array(keys.length)
    const added: number[] = []
    for (const n of changed) {
      if (isChanged[n]) continue
      isChanged[n] = 1
      if (keys[n] != null) added.push(n)
    }
    added.sort((a, b) => compare(keys[a]!, keys[b]!))
    const merged: number[] = []
    let a = 0
    for (const n of this.sorted) {
      if (isChanged[n]) continue
      while (a < added.length && compare(keys[added[a]!]!, keys[n]!) < 0) merged.push(added[a++]!)
      merged.push(n)
    }
    while (a < added.length) merged.push(added[a++]!)
    this.sorted = merged
  }

  private numberRanks(): void {
    const { keys, sorted } = this
    const rankOf = new Int32Array(keys.length).fill(-1)
    for (let i = 0; i < sorted.length; i++) {
      const n = sorted[i]!
      rankOf[n] = i > 0 && keys[n] === keys[sorted[i - 1]!] ? rankOf[sorted[i - 1]!]! : i
    }
    this.rankOf = rankOf
  }
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0
}
