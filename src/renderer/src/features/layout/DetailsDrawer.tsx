import { useEffect, useRef, type ReactNode } from 'react'
import { Icon } from '../../lib/icons'
import type { DetailsDrawer } from './use-details-drawer'

const TOGGLE_ID = 'customer-details-toggle'
const DRAWER_ID = 'customer-details'

/** The header button that opens and closes the details drawer; styles hide it where the details are a column. */
export function DetailsToggle({ details }: { details: DetailsDrawer }) {
  return (
    <button
      type="button"
      id={TOGGLE_ID}
      className={`button button-quiet details-toggle${details.open ? ' is-active' : ''}`}
      aria-label="Customer details"
      aria-expanded={details.open}
      aria-controls={DRAWER_ID}
      aria-keyshortcuts="i"
      title="Customer details (I)"
      onClick={details.toggle}
    >
      <Icon name="user" />
      <span className="button-label">Details</span>
    </button>
  )
}

/**
 * Holds the customer details: a column in a wide window, a drawer over the timeline in a
 * narrow one. Escape inside closes the drawer; a drawer closing with the keyboard in it hands
 * the keyboard back to its button, so focus never stays on something hidden.
 */
export function DetailsSlot({ details, children }: { details: DetailsDrawer; children: ReactNode }) {
  const slot = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!details.open && slot.current?.contains(document.activeElement)) document.getElementById(TOGGLE_ID)?.focus()
  }, [details.open])
  if (!children) return null
  return (
    <div
      ref={slot}
      id={DRAWER_ID}
      className="pane-details"
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || event.defaultPrevented || !details.open) return
        event.preventDefault()
        details.close()
      }}
    >
      {children}
    </div>
  )
}
