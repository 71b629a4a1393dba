/** What the server said when it refused or failed, or nothing. */
export function Refusal({ error }: { error: Error | null | undefined }) {
  if (!error) return null
  return (
    <p className="inline-error" role="alert">
      {error.message}
    </p>
  )
}

/** A small button in a table row, named for its row so it can be told apart from the others. */
export function RowButton({ label, name, disabled, onClick }: { label: string; name: string; disabled?: boolean; onClick(): void }) {
  return (
    <button type="button" className="button button-small" aria-label={name} disabled={disabled} onClick={onClick}>
      {label}
    </button>
  )
}

/** A table of the admin screen: its columns' headings (the last one, for row buttons, left blank) and its rows. */
export function AdminTable({ label, columns, children }: { label: string; columns: string[]; children: React.ReactNode }) {
  return (
    <table className="admin-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th />
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  )
}
