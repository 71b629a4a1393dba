import type { ReactNode } from 'react'

/** A figure to open: its key among the report's drill-downs (built with drillKey) and what the list is titled. */
export interface DrillTarget {
  key: string
  title: string
}

export type OpenDrill = (target: DrillTarget) => void

/**
 * A number that opens the conversations behind it. Its name repeats what it counts, as the
 * number alone ("12") says nothing to someone who hears it.
 */
export function FigureButton({ target, onDrill, className, children }: { target: DrillTarget; onDrill: OpenDrill; className?: string; children: ReactNode }) {
  const text = typeof children === 'string' || typeof children === 'number' ? String(children) : null
  return (
    <button
      type="button"
      className={`report-figure${className ? ` ${className}` : ''}`}
      aria-label={text === null ? undefined : `${target.title}: ${text}`}
      title="Show these conversations"
      onClick={() => onDrill(target)}
    >
      {children}
    </button>
  )
}
