import { useEffect, useId, useRef, useState } from 'react'
import type { ConversationTarget } from './live/labels'
import { LivePanel } from './live/LivePanel'
import { ReportsPanel } from './reports/ReportsPanel'
import './dashboards.css'

const TABS = { live: 'Live', reports: 'Reports' } as const
type Tab = keyof typeof TABS
const TAB_ORDER = Object.keys(TABS) as Tab[]

/** The supervisors' dashboards: the live queues and the reports over a date range. */
export function DashboardScreen({ onOpenConversation, onClose }: { onOpenConversation(target: ConversationTarget): void; onClose(): void }) {
  const [tab, setTab] = useState<Tab>('live')
  const ids = useId()
  const tabButtons = useRef(new Map<Tab, HTMLButtonElement>())

  // Reached by a shortcut, the palette or the sidebar, the screen takes the keyboard with it.
  useEffect(() => tabButtons.current.get('live')?.focus(), [])

  // Arrow keys move between the tabs, as in any tab list; only the chosen one is in the Tab order.
  function onTabKey(event: React.KeyboardEvent): void {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0
    if (!step) return
    event.preventDefault()
    const next = TAB_ORDER[(TAB_ORDER.indexOf(tab) + step + TAB_ORDER.length) % TAB_ORDER.length] ?? tab
    setTab(next)
    tabButtons.current.get(next)?.focus()
  }

  return (
    <section className="dashboard-screen" aria-label="Dashboards">
      <header className="dashboard-header">
        <h1>Dashboards</h1>
        <div role="tablist" aria-label="Dashboards" className="dashboard-tabs" onKeyDown={onTabKey}>
          {TAB_ORDER.map((t) => (
            <button
              key={t}
              ref={(button) => void (button ? tabButtons.current.set(t, button) : tabButtons.current.delete(t))}
              type="button"
              role="tab"
              id={`${ids}-${t}`}
              aria-controls={`${ids}-panel`}
              aria-selected={tab === t}
              tabIndex={tab === t ? 0 : -1}
              className="dashboard-tab"
              onClick={() => setTab(t)}
            >
              {TABS[t]}
            </button>
          ))}
        </div>
        <button type="button" className="button" onClick={onClose}>
          Back to the inbox
        </button>
      </header>
      <div role="tabpanel" id={`${ids}-panel`} aria-labelledby={`${ids}-${tab}`} className="dashboard-panel">
        {tab === 'live' ? <LivePanel onOpenConversation={onOpenConversation} /> : <ReportsPanel onOpenConversation={onOpenConversation} />}
      </div>
    </section>
  )
}
