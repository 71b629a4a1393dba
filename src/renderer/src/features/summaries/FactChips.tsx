import { useState } from 'react'
import type { SummaryFact } from '../../../../shared/domain'
import { FACT_LABELS, chipFacts, chipSource, chipText } from './facts'
import { SummaryIcon } from './summary-icons'

/** Opens the timeline at an item and marks it for a moment. */
export type JumpToItem = (target: { itemId: string; at: number }) => void

const NOT_AVAILABLE = 'the message it cites is not available to you'
/** Chips shown before "+N more": the card stays a few lines tall. */
const FIRST_CHIPS = 6

/**
 * A summary's facts as chips. A chip opens the timeline at the first item it cites that this
 * agent's cache holds; a fact whose items are all out of reach is shown without a link.
 */
export function FactChips({
  facts,
  times,
  locate,
  onJump,
}: {
  facts: readonly SummaryFact[]
  times: ReadonlyMap<string, number | null> | undefined
  locate: (id: string) => Promise<number | null>
  onJump: JumpToItem
}) {
  // Ids a click looked up and did not find (before the lookup of every cited item had answered).
  const [unreachable, setUnreachable] = useState<ReadonlySet<string>>(new Set())
  const [all, setAll] = useState(false)
  const chips = chipFacts(facts)
  if (chips.length === 0) return null
  const shown = all ? chips : chips.slice(0, FIRST_CHIPS)

  async function open(fact: SummaryFact): Promise<void> {
    const source = chipSource(fact, times)
    if (!source) return
    const at = source.at ?? (await locate(source.id))
    if (at === null) setUnreachable((s) => new Set([...s, source.id]))
    else onJump({ itemId: source.id, at })
  }

  return (
    <ul className="fact-chips" aria-label="Facts">
      {shown.map((fact, i) => {
        const label = FACT_LABELS[fact.kind]
        const source = chipSource(fact, times)
        const linked = source !== null && !unreachable.has(source.id)
        const content = (
          <>
            <SummaryIcon name={fact.kind} size={12} />
            {/* An unlinked chip says its fact in hidden text; a button in its label. */}
            <span className="fact-chip-text" aria-hidden={linked ? undefined : true}>
              {chipText(fact)}
            </span>
          </>
        )
        return (
          <li key={i}>
            {linked ? (
              <button
                type="button"
                className={`fact-chip fact-${fact.kind}`}
                title={`${label}: ${fact.text}`}
                aria-label={`${label}: ${fact.text} (show in the timeline)`}
                onClick={() => void open(fact)}
              >
                {content}
              </button>
            ) : (
              <span className={`fact-chip fact-${fact.kind} is-unlinked`} title={`${label}: ${fact.text} (${NOT_AVAILABLE})`}>
                {content}
                <span className="visually-hidden">
                  {label}: {fact.text} ({NOT_AVAILABLE})
                </span>
              </span>
            )}
          </li>
        )
      })}
      {chips.length > FIRST_CHIPS && (
        <li>
          <button type="button" className="fact-more link-button" aria-expanded={all} onClick={() => setAll(!all)}>
            {all ? 'Fewer' : `+${chips.length - FIRST_CHIPS} more`}
          </button>
        </li>
      )}
    </ul>
  )
}
