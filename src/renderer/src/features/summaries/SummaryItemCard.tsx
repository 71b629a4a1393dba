import { useMemo } from 'react'
import type { Summary } from '../../../../shared/domain'
import { clockTime, fullTime } from '../../lib/format'
import { FactChips, type JumpToItem } from './FactChips'
import { sourceLine } from './facts'
import { useSourceTimes } from './queries'
import { SummaryIcon } from './summary-icons'
import './summaries.css'

const KIND_LABELS = { wrap_up: 'Wrap-up', call: 'Call summary', customer_story: 'Summary' } as const

/** A conversation's wrap-up or a call's summary, in the timeline where the conversation or the call ended. */
export function SummaryItemCard({ summary, customerId, onJump }: { summary: Summary; customerId: string; onJump: JumpToItem }) {
  const cited = useMemo(() => summary.facts.flatMap((f) => f.sourceIds), [summary.facts])
  // The cited items are mostly on the same page as the summary: the loaded pages answer at once.
  const sources = useSourceTimes(customerId, cited, true)
  const label = KIND_LABELS[summary.kind]
  return (
    <article className={`summary-item summary-item-${summary.kind}`} aria-label={label}>
      <header className="message-meta">
        <SummaryIcon name="summary" />
        <span className="summary-item-kind">{label}</span>
        <span className="summary-item-source">{sourceLine(summary)}</span>
        {summary.updatedOnDevice && <span className="summary-device">Updated on this device</span>}
        <time dateTime={new Date(summary.coversThrough).toISOString()} title={fullTime(summary.coversThrough)}>
          {clockTime(summary.coversThrough)}
        </time>
      </header>
      <p className="summary-text">{summary.text}</p>
      <FactChips facts={summary.facts} times={sources.times} locate={sources.locate} onJump={onJump} />
    </article>
  )
}
