/**
 * How hard password guessing is made. Nothing is ever locked: after a few failures each further
 * attempt waits, the wait doubling with every failure up to a ceiling. The waits are counted
 * per (account, client address), so a stranger's guesses slow the stranger, not the owner:
 *
 * - a pair that has failed `freePerPair` times waits `baseDelayMs`, then twice that, …;
 * - guesses at one account from many addresses: once the account has more than
 *   `freePerAccount` failures, every pair of it that has failed once waits as long as the
 *   account's count says, from its own last failure (each address keeps its own turn, so
 *   the guessers cannot take the owner's);
 * - one address guessing at many accounts: past `freePerAddress` failures, attempts from it
 *   wait from the address's last failure.
 *
 * The account and address ceilings spare the pairs that signed in before: the owner at their
 * usual address answers only for their own typos. A success clears its pair. Failures are
 * forgotten `forgetAfterMs` after the last one; all of it is held in memory, per server process.
 */
export interface SignInLimits {
  freePerPair: number
  freePerAccount: number
  freePerAddress: number
  baseDelayMs: number
  maxDelayMs: number
  forgetAfterMs: number
  /** How many pairs, accounts and addresses are remembered at most (the oldest go first). */
  maxEntries: number
}

export const SIGN_IN_LIMITS: SignInLimits = {
  freePerPair: 3,
  freePerAccount: 10,
  freePerAddress: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 60 * 60_000,
  maxEntries: 100_000,
}

/** How long a pair that signed in is remembered as the account's usual address. */
const USUAL_ADDRESS_MS = 30 * 24 * 60 * 60_000

export type ThrottleScope = 'pair' | 'account' | 'address'

export type SignInVerdict = { allowed: true } | { allowed: false; retryAfterMs: number; scope: ThrottleScope }

interface Failures {
  count: number
  lastAt: number
}

/** A map that forgets its least recently touched entries beyond `max`. */
class Recent<V> {
  private readonly map = new Map<string, V>()

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.map.get(key)
  }

  set(key: string, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    for (const oldest of this.map.keys()) {
      if (this.map.size <= this.max) break
      this.map.delete(oldest)
    }
  }

  delete(key: string): void {
    this.map.delete(key)
  }
}

const pairKey = (account: string, address: string): string => JSON.stringify([account, address])

export class SignInThrottle {
  private readonly pairs: Recent<Failures>
  private readonly accounts: Recent<Failures>
  private readonly addresses: Recent<Failures>
  /** Pairs that signed in, and when. */
  private readonly usual: Recent<number>

  constructor(
    private readonly limits: SignInLimits = SIGN_IN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.pairs = new Recent(limits.maxEntries)
    this.accounts = new Recent(limits.maxEntries)
    this.addresses = new Recent(limits.maxEntries)
    this.usual = new Recent(limits.maxEntries)
  }

  /**
   * Whether an attempt for `account` from `address` may be checked now, or how long it must wait.
   * An attempt let through counts as failed until `succeeded` says otherwise, so attempts sent
   * side by side cannot all pass while the first is still being checked.
   */
  attempt(account: string, address: string): SignInVerdict {
    const now = this.now()
    const pair = this.live(this.pairs, pairKey(account, address), now)
    let wait: { until: number; scope: ThrottleScope } = { until: now, scope: 'pair' }
    const waitUntil = (until: number, scope: ThrottleScope) => {
      if (until > wait.until) wait = { until, scope }
    }
    if (pair) waitUntil(pair.lastAt + this.delay(pair.count - this.limits.freePerPair + 1), 'pair')
    if (!this.isUsual(account, address, now)) {
      const forAccount = this.live(this.accounts, account, now)
      if (pair && forAccount) waitUntil(pair.lastAt + this.delay(forAccount.count - this.limits.freePerAccount), 'account')
      const fromAddress = this.live(this.addresses, address, now)
      if (fromAddress) waitUntil(fromAddress.lastAt + this.delay(fromAddress.count - this.limits.freePerAddress), 'address')
    }
    if (wait.until > now) return { allowed: false, retryAfterMs: wait.until - now, scope: wait.scope }
    this.count(this.pairs, pairKey(account, address), now)
    this.count(this.accounts, account, now)
    this.count(this.addresses, address, now)
    return { allowed: true }
  }

  /** The attempt was right: its pair starts afresh and is remembered as usual; the account's and address's other failures stand. */
  succeeded(account: string, address: string): void {
    const key = pairKey(account, address)
    this.pairs.delete(key)
    this.usual.set(key, this.now())
    this.uncount(this.accounts, account)
    this.uncount(this.addresses, address)
  }

  /** The wait after `excess` failures beyond the free ones: none, then the base delay doubling up to the ceiling. */
  private delay(excess: number): number {
    if (excess <= 0) return 0
    return Math.min(this.limits.baseDelayMs * 2 ** Math.min(excess - 1, 52), this.limits.maxDelayMs)
  }

  private isUsual(account: string, address: string, now: number): boolean {
    const at = this.usual.get(pairKey(account, address))
    return at !== undefined && now - at < USUAL_ADDRESS_MS
  }

  private live(map: Recent<Failures>, key: string, now: number): Failures | undefined {
    const entry = map.get(key)
    if (entry && now - entry.lastAt >= this.limits.forgetAfterMs) {
      map.delete(key)
      return undefined
    }
    return entry
  }

  private count(map: Recent<Failures>, key: string, now: number): void {
    const count = (this.live(map, key, now)?.count ?? 0) + 1
    map.set(key, { count, lastAt: now })
  }

  private uncount(map: Recent<Failures>, key: string): void {
    const entry = map.get(key)
    if (!entry) return
    if (entry.count > 1) map.set(key, { count: entry.count - 1, lastAt: entry.lastAt })
    else map.delete(key)
  }
}
