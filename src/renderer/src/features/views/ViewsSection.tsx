import { useEffect, useRef, useState, type MouseEvent } from 'react'
import type { SavedViewItem } from '../../../../shared/ipc'
import type { InboxFilter } from '../../api/queries'
import { Icon } from '../../lib/icons'
import { useDeleteView, useDiscardViewChange, useSavedViewCounts, useSavedViews } from './queries'
import { SaveViewDialog } from './SaveViewDialog'
import { filtersOfList } from './view-form'
import '../sign-in/sign-in.css'
import './views.css'

/** A view's menu: edit or delete (its owner only), from its ⋯ button or a right click. */
function ViewMenu({ view, onEdit, onClose }: { view: SavedViewItem; onEdit(): void; onClose(): void }) {
  const [confirming, setConfirming] = useState(false)
  const remove = useDeleteView()
  const root = useRef<HTMLDivElement>(null)

  useEffect(() => {
    function close(event: globalThis.MouseEvent | KeyboardEvent): void {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !root.current?.contains(event.target as Node)) onClose()
    }
    window.addEventListener('mousedown', close)
    window.addEventListener('keydown', close)
    root.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus()
    return () => {
      window.removeEventListener('mousedown', close)
      window.removeEventListener('keydown', close)
    }
  }, [onClose])

  return (
    <div className="account-menu view-menu" role="menu" aria-label={`View ${view.name}`} ref={root}>
      {confirming ? (
        <>
          <p className="view-menu-text">
            Delete “{view.name}”{view.team ? ` for everyone in ${view.team}` : ''}?
          </p>
          <button type="button" role="menuitem" className="account-item is-danger" onClick={() => remove.mutate(view.id, { onSettled: onClose })}>
            Delete
          </button>
          <button type="button" role="menuitem" className="account-item" onClick={onClose}>
            Cancel
          </button>
        </>
      ) : (
        <>
          <button type="button" role="menuitem" className="account-item" onClick={onEdit}>
            Edit view…
          </button>
          <button type="button" role="menuitem" className="account-item" onClick={() => setConfirming(true)}>
            Delete view…
          </button>
        </>
      )}
      {remove.error && (
        <p className="inline-error" role="alert">
          {remove.error.message}
        </p>
      )}
    </div>
  )
}

/** The sidebar's saved views with how many conversations each holds; a click opens one in the inbox list. */
export function ViewsSection({
  filter,
  current,
  onOpen,
  onGone,
}: {
  /** What the inbox list shows: "Save view…" starts from it. */
  filter: InboxFilter
  current: string | null
  onOpen(viewId: string): void
  onGone(): void
}) {
  const views = useSavedViews()
  const counts = useSavedViewCounts()
  const discard = useDiscardViewChange()
  const [menu, setMenu] = useState<string | null>(null)
  const [editing, setEditing] = useState<SavedViewItem | null>(null)
  const [creating, setCreating] = useState(false)
  const list = views.data ?? []
  const open = list.find((v) => v.id === current)
  const currentGone = current !== null && views.isSuccess && !open
  // Saved from an open view, the copy starts from its filters (and the status it is narrowed to).
  const initial = open ? { ...open.filters, ...(filter.status ? { status: [filter.status] } : {}) } : filtersOfList(filter)

  // The open view was deleted (here or by its owner elsewhere): the list goes back to the inbox.
  useEffect(() => {
    if (currentGone) onGone()
  }, [currentGone, onGone])

  function openMenu(event: MouseEvent, view: SavedViewItem): void {
    if (!view.mine) return
    event.preventDefault()
    setMenu(view.id)
  }

  return (
    <div className="nav-section">
      <div className="view-heading">
        <h2 className="nav-heading">Views</h2>
        <button type="button" className="view-add" title="Save what the inbox list shows as a view" onClick={() => setCreating(true)}>
          <Icon name="plus" size={14} />
          Save view…
        </button>
      </div>
      {list.length === 0 && views.isSuccess && <p className="nav-empty">No saved views yet.</p>}
      <ul className="nav-list" aria-label="Saved views">
        {list.map((view) => (
          <li key={view.id} className="view-entry">
            <div className="view-row">
              <button
                type="button"
                className="nav-item"
                aria-current={current === view.id ? 'page' : undefined}
                onClick={() => onOpen(view.id)}
                onContextMenu={(e) => openMenu(e, view)}
                title={view.mine ? (view.team ? `Shared with ${view.team}` : 'Only you see this view') : `Shared with ${view.team ?? 'you'}`}
              >
                <Icon name="search" />
                <span className="nav-label">{view.name}</span>
                {view.outbox?.state === 'pending' && (
                  <span className="view-pending" title="Waiting to reach the server">
                    •
                  </span>
                )}
                {counts.data?.[view.id] !== undefined && <span className="nav-count">{counts.data[view.id]!.toLocaleString()}</span>}
              </button>
              {view.mine && (
                <button
                  type="button"
                  className="view-more"
                  aria-label={`More actions for view ${view.name}`}
                  aria-haspopup="menu"
                  aria-expanded={menu === view.id}
                  onClick={() => setMenu(menu === view.id ? null : view.id)}
                >
                  ⋯
                </button>
              )}
            </div>
            {menu === view.id && (
              <ViewMenu
                view={view}
                onClose={() => setMenu(null)}
                onEdit={() => {
                  setMenu(null)
                  setEditing(view)
                }}
              />
            )}
            {view.outbox?.state === 'failed' && (
              <div className="view-refusal" role="alert">
                <span>The server refused this: {view.outbox.error ?? 'no reason given'}</span>
                <button type="button" className="view-refusal-action" onClick={() => discard.mutate(view.outbox!.mutationId)}>
                  Discard
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {creating && <SaveViewDialog view={null} initial={initial} onClose={() => setCreating(false)} onSaved={() => setCreating(false)} />}
      {editing && <SaveViewDialog view={editing} initial={editing.filters} onClose={() => setEditing(null)} onSaved={() => setEditing(null)} />}
    </div>
  )
}
