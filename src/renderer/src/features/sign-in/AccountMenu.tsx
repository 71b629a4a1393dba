import { useEffect, useRef, useState } from 'react'
import type { User } from '../../../../shared/domain'
import { initials } from '../../lib/format'
import { useSignOut } from './session'
import './sign-in.css'

/** Who is signed in, the way to the administration screen (admins), and the way out. */
export function AccountMenu({ user, onAdminister }: { user: User; onAdminister?: () => void }) {
  const [open, setOpen] = useState(false)
  const signOut = useSignOut()
  const root = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!open) return
    function close(event: MouseEvent | KeyboardEvent): void {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !root.current?.contains(event.target as Node)) setOpen(false)
    }
    window.addEventListener('mousedown', close)
    window.addEventListener('keydown', close)
    return () => {
      window.removeEventListener('mousedown', close)
      window.removeEventListener('keydown', close)
    }
  }, [open])

  return (
    <div className="account" ref={root}>
      <button
        type="button"
        className="me account-button"
        title={`${user.email} · ${user.role}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={`Account: ${user.name}`}
        onClick={() => setOpen(!open)}
      >
        <span className="avatar avatar-sm avatar-me" aria-hidden="true">
          {initials(user.name)}
        </span>
        <span className="me-text">
          <span className="me-name">{user.name}</span>
          <span className="me-role">{user.role}</span>
        </span>
      </button>
      {open && (
        <div className="account-menu" role="menu" aria-label="Account">
          <p className="account-email">{user.email}</p>
          {onAdminister && (
            <button
              type="button"
              role="menuitem"
              className="account-item"
              onClick={() => {
                setOpen(false)
                onAdminister()
              }}
            >
              Administration
            </button>
          )}
          <button type="button" role="menuitem" className="account-item" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
            {signOut.isPending ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      )}
    </div>
  )
}
