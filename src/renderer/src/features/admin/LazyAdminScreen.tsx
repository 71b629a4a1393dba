import { lazy, Suspense, type ComponentProps } from 'react'
import type { AdminScreen as AdminScreenComponent } from './AdminScreen'

// Only admins open it, and rarely: the inbox every agent starts on must not load its code.
const AdminScreen = lazy(() => import('./AdminScreen').then((m) => ({ default: m.AdminScreen })))

export function LazyAdminScreen(props: ComponentProps<typeof AdminScreenComponent>) {
  return (
    <Suspense fallback={<section className="admin-screen" aria-busy="true" aria-label="Loading administration" />}>
      <AdminScreen {...props} />
    </Suspense>
  )
}
