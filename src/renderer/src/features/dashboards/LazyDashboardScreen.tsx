import { lazy, Suspense, type ComponentProps } from 'react'
import type { DashboardScreen as DashboardScreenComponent } from './DashboardScreen'

// Only supervisors open it: the inbox every agent starts on must not load its code.
const DashboardScreen = lazy(() => import('./DashboardScreen').then((m) => ({ default: m.DashboardScreen })))

export function LazyDashboardScreen(props: ComponentProps<typeof DashboardScreenComponent>) {
  return (
    <Suspense fallback={<section className="dashboard-screen" aria-busy="true" aria-label="Loading dashboards" />}>
      <DashboardScreen {...props} />
    </Suspense>
  )
}
