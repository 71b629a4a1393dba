import type { ConsentKey } from '../../shared/domain'
import type { ConsentState } from '../store/store'

/** One consent key as a record holds it: the answer and when it was given (null: not known). */
interface Decision {
  value: boolean
  at: number | null
}

const keysOf = (...states: ConsentState[]): ConsentKey[] => [
  ...new Set(states.flatMap((s) => Object.keys(s.consent) as ConsentKey[])),
]

function decisionOf(state: ConsentState, key: ConsentKey): Decision | null {
  const value = state.consent[key]
  return value === undefined ? null : { value, at: state.consentChangedAt?.[key] ?? null }
}

const sameDecision = (a: Decision | null, b: Decision | null): boolean =>
  a === null || b === null ? a === b : a.value === b.value && a.at === b.at

const laterOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b))

/**
 * What stands when two records of one person disagree on a key: the later answer, as a single
 * record would keep it. When the order cannot be told (a time is missing, or both are the same)
 * the opt-out stands, because sending to someone who said no is the costly mistake.
 */
function standing(a: Decision | null, b: Decision | null): Decision | null {
  if (!a || !b) return a ?? b
  if (a.value === b.value) return { value: a.value, at: laterOf(a.at, b.at) }
  if (a.at !== null && b.at !== null && a.at !== b.at) return a.at > b.at ? a : b
  // Stamped with the latest time known, so no request older than either answer overrides it.
  return { value: false, at: laterOf(a.at, b.at) }
}

/** Writes `decisions` over `base`, keeping every key they do not name. */
function withDecisions(base: ConsentState, decisions: Map<ConsentKey, Decision | null>): ConsentState {
  const consent = { ...base.consent }
  const times = { ...base.consentChangedAt }
  for (const [key, d] of decisions) {
    if (d === null) delete consent[key]
    else consent[key] = d.value
    if (d?.at == null) delete times[key]
    else times[key] = d.at
  }
  const hadTimes = base.consentChangedAt != null
  return { consent, consentChangedAt: hadTimes || Object.keys(times).length > 0 ? times : (base.consentChangedAt ?? null) }
}

/**
 * The target's consent after a merge: per key, the answer that stands between the two records,
 * with the time it was given, so a late request older than it (a STOP or START retried from
 * the dead letters) does not override it afterwards.
 */
export function mergedConsent(target: ConsentState, source: ConsentState): ConsentState {
  const decisions = new Map<ConsentKey, Decision | null>()
  for (const key of keysOf(target, source)) {
    const mine = decisionOf(target, key)
    const next = standing(mine, decisionOf(source, key))
    if (!sameDecision(mine, next)) decisions.set(key, next)
  }
  return decisions.size === 0 ? target : withDecisions(target, decisions)
}

/**
 * Both records' consent after an undo. A key nobody answered since the merge goes back to what
 * the target had before it, exactly. A key answered since stays on the target; an opt-out given
 * since is also the source's, since it may have come from either person's address.
 */
export function unmergedConsent(
  now: { target: ConsentState; source: ConsentState },
  merge: { before: ConsentState; after: ConsentState },
): { target: ConsentState; source: ConsentState } {
  const keys = keysOf(merge.before, merge.after, now.target)
  const answeredSince = keys.filter((key) => !sameDecision(decisionOf(now.target, key), decisionOf(merge.after, key)))
  if (answeredSince.length === 0) return { target: merge.before, source: now.source }

  const target = new Map<ConsentKey, Decision | null>()
  const source = new Map<ConsentKey, Decision | null>()
  for (const key of keys) {
    if (!answeredSince.includes(key)) {
      target.set(key, decisionOf(merge.before, key))
      continue
    }
    const since = decisionOf(now.target, key)
    if (since?.value !== false) continue
    const theirs = decisionOf(now.source, key)
    const stands = standing(theirs, since)
    if (!sameDecision(theirs, stands)) source.set(key, stands)
  }
  return {
    target: withDecisions(now.target, target),
    source: source.size === 0 ? now.source : withDecisions(now.source, source),
  }
}
