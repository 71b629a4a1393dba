import { useNow } from '../../../lib/format'
import { humanDuration } from '../reports/report-format'

/** How long since `since`, ticking every second while it shows. */
export function WaitedFor({ since }: { since: number }) {
  const now = useNow(1_000)
  return <time dateTime={new Date(since).toISOString()}>{humanDuration(Math.max(0, now - since))}</time>
}

/** A count that opens the conversations behind it; `name` says what it counts, for whoever cannot see the table around it. */
export function FigureButton({ value, name, onOpen }: { value: number; name: string; onOpen(): void }) {
  return (
    <button type="button" className="live-figure" aria-label={name} onClick={onOpen}>
      {value.toLocaleString()}
    </button>
  )
}
