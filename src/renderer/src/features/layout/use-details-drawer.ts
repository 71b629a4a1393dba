import { useState, useSyncExternalStore } from 'react'

/**
 * Below this width the customer details leave their column and open as a drawer over the
 * timeline: on a laptop three columns beside the inbox leave the conversation too narrow to
 * read. The same number is in styles/layout.css.
 */
export const DRAWER_BELOW_PX = 1400
const NARROW = `(max-width: ${DRAWER_BELOW_PX - 0.02}px)`

function subscribe(notify: () => void): () => void {
  const query = window.matchMedia(NARROW)
  query.addEventListener('change', notify)
  return () => query.removeEventListener('change', notify)
}

/** True while the window is too narrow for the customer details column. */
export function useNarrowWindow(): boolean {
  return useSyncExternalStore(subscribe, () => window.matchMedia(NARROW).matches)
}

export interface DetailsDrawer {
  /** The details are a drawer here rather than a column. */
  narrow: boolean
  open: boolean
  toggle(): void
  close(): void
}

/** Whether the customer details drawer is open; in a wide window there is no drawer to open. */
export function useDetailsDrawer(): DetailsDrawer {
  const narrow = useNarrowWindow()
  const [open, setOpen] = useState(false)
  return {
    narrow,
    open: narrow && open,
    toggle: () => setOpen(narrow ? !open : false),
    close: () => setOpen(false),
  }
}
