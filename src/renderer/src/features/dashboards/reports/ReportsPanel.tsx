export interface ReportsPanelProps {
  /** Opens a conversation behind a figure in the workspace. */
  onOpenConversation(target: { customerId: string; conversationId: string }): void
}

/** The Reports tab of the supervisors' dashboards: figures over a date range, each one opening the conversations behind it. */
export function ReportsPanel(_props: ReportsPanelProps) {
  return <section className="reports" aria-label="Reports" aria-busy="true" />
}
