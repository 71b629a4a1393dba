import type { AdminDirectory } from '../../../../shared/admin'

/** Inbox access as checkboxes over the server's inboxes; `null` (when allowed) is every inbox, present and future. */
export function InboxPicker({
  inboxes,
  value,
  onChange,
  allowEvery,
}: {
  inboxes: AdminDirectory['inboxes']
  value: string[] | null
  onChange(next: string[] | null): void
  allowEvery: boolean
}) {
  const chosen = value ?? []
  const toggle = (name: string, on: boolean) => onChange(on ? [...chosen, name] : chosen.filter((n) => n !== name))
  // Access may name an inbox no longer configured; it stays listed so it can be taken away.
  const names = [...new Set([...inboxes.map((i) => i.name), ...chosen])]
  return (
    <fieldset className="admin-inboxes">
      <legend>Inbox access</legend>
      {allowEvery && (
        <label className="admin-check">
          <input type="checkbox" checked={value === null} onChange={(e) => onChange(e.target.checked ? null : [])} />
          Every inbox
        </label>
      )}
      {value !== null &&
        names.map((name) => (
          <label key={name} className="admin-check">
            <input type="checkbox" checked={chosen.includes(name)} onChange={(e) => toggle(name, e.target.checked)} />
            {name}
            <span className="panel-muted">{inboxes.find((i) => i.name === name)?.channel ?? 'not configured'}</span>
          </label>
        ))}
    </fieldset>
  )
}
