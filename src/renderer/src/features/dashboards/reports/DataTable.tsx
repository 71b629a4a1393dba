import { flexRender, type Header, type Row, type Table } from '@tanstack/react-table'

const SORT_NAMES = { asc: 'ascending', desc: 'descending' } as const

/** A column heading: a button that sorts by it when the column sorts, its order told to assistive technology. */
function Heading<T>({ header }: { header: Header<T, unknown> }) {
  const column = header.column
  const sorted = column.getIsSorted()
  const content = header.isPlaceholder ? null : flexRender(column.columnDef.header, header.getContext())
  return (
    <th aria-sort={sorted ? SORT_NAMES[sorted] : column.getCanSort() ? 'none' : undefined} className={column.columnDef.meta?.numeric ? 'numeric' : undefined}>
      {column.getCanSort() ? (
        <button type="button" className="report-sort" onClick={column.getToggleSortingHandler()}>
          {content}
          <span aria-hidden="true" className="report-sort-mark">
            {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
          </span>
        </button>
      ) : (
        content
      )}
    </th>
  )
}

/** A TanStack table as an HTML table with sortable headings; a row may carry an action its first cell also offers as a button. */
export function DataTable<T>({ table, label, onRowClick }: { table: Table<T>; label: string; onRowClick?(row: Row<T>): void }) {
  return (
    <table className="report-table" aria-label={label}>
      <thead>
        {table.getHeaderGroups().map((group) => (
          <tr key={group.id}>
            {group.headers.map((header) => (
              <Heading key={header.id} header={header} />
            ))}
          </tr>
        ))}
      </thead>
      <tbody>
        {table.getRowModel().rows.map((row) => (
          <tr key={row.id} className={onRowClick ? 'report-row-action' : undefined} onClick={onRowClick && (() => onRowClick(row))}>
            {row.getVisibleCells().map((cell) => (
              <td key={cell.id} className={cell.column.columnDef.meta?.numeric ? 'numeric' : undefined}>
                {flexRender(cell.column.columnDef.cell, cell.getContext())}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  )
}
