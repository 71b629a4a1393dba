import { lazy, Suspense } from 'react'

export interface ReportsPanelProps {
  /** Opens a conversation behind a figure in the workspace. */
  onOpenConversation(target: { customerId: string; conversationId: string }): void
}

// Supervisors open it, agents never: its tables, date arithmetic and schemas stay out of the first screen.
const ReportsView = lazy(() => import('./ReportsView').then((m) => ({ default: m.ReportsView })))

/** The Reports tab of the supervisors' dashboards: figures over a date range, each one opening the conversations behind it. */
export function ReportsPanel(props: ReportsPanelProps) {
  return (
    <Suspense fallback={<section className="reports" aria-label="Reports" aria-busy="true" />}>
      <ReportsView {...props} />
    </Suspense>
  )
}
