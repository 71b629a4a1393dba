import { createColumnHelper, getCoreRowModel, getPaginationRowModel, getSortedRowModel, useReactTable, type SortingState } from '@tanstack/react-table'
import { useMemo, useState } from 'react'
import type { ReportConversation } from '../../../../../shared/ipc'
import type { ReportQuery } from '../../../../../shared/reporting/report-query'
import { Dialog } from '../../../lib/Dialog'
import { CHANNEL_LABELS, fullTime, STATUS_LABELS } from '../../../lib/format'
import { Refusal } from '../../admin/parts'
import { DataTable } from './DataTable'
import type { DrillTarget } from './FigureButton'
import { useExportReportCsv, useReportDrill } from './queries'
import type { Hours } from './report-figures'
import { count, humanDuration, plural } from './report-format'

/** Rows on one page of the list: a figure over a year may stand for thousands of conversations, which the CSV holds whole. */
const PAGE_SIZE = 100

export type OpenConversation = (target: { customerId: string; conversationId: string }) => void

const column = createColumnHelper<ReportConversation>()

const ms = (value: number | null | undefined) => (value === null || value === undefined ? '' : humanDuration(value))
const orLast = (value: number | null) => value ?? undefined

function drillColumns(hours: Hours, open: (row: ReportConversation) => void) {
  const firstResponse = hours === 'calendar' ? 'firstResponseCalendarMs' : 'firstResponseBusinessMs'
  const resolution = hours === 'calendar' ? 'resolutionCalendarMs' : 'resolutionBusinessMs'
  return [
    column.accessor((row) => row.customerName ?? '', {
      id: 'customer',
      header: 'Customer',
      sortingFn: 'text',
      cell: ({ row }) => {
        const c = row.original
        const name = c.customerName ?? 'Erased customer'
        if (!c.customerId) return name
        return (
          <button type="button" className="link-button" aria-label={`Open ${name}: ${c.subject ?? 'conversation'}`} onClick={() => open(c)}>
            {name}
          </button>
        )
      },
    }),
    column.accessor((row) => row.subject ?? '', { id: 'subject', header: 'Subject', sortingFn: 'text' }),
    column.accessor((row) => (row.status ? STATUS_LABELS[row.status] : ''), { id: 'status', header: 'Status' }),
    column.accessor((row) => (row.channel ? CHANNEL_LABELS[row.channel] : ''), { id: 'channel', header: 'Channel' }),
    column.accessor((row) => row.inbox ?? '', { id: 'inbox', header: 'Inbox' }),
    column.accessor((row) => orLast(row.createdAt), {
      id: 'created',
      header: 'Created',
      sortUndefined: 'last',
      cell: ({ getValue }) => {
        const at = getValue()
        return at === undefined ? '' : fullTime(at)
      },
    }),
    column.accessor((row) => orLast(row[firstResponse]), { id: 'firstResponse', header: 'First response', meta: { numeric: true }, sortUndefined: 'last', cell: ({ getValue }) => ms(getValue()) }),
    column.accessor((row) => orLast(row[resolution]), { id: 'resolution', header: 'Resolution', meta: { numeric: true }, sortUndefined: 'last', cell: ({ getValue }) => ms(getValue()) }),
    column.accessor('reopened', { header: 'Reopened', meta: { numeric: true }, cell: ({ getValue }) => (getValue() > 0 ? count(getValue()) : '') }),
    // A survey that went out and has no answer says so, rather than look like one never sent.
    column.accessor((row) => orLast(row.csatRating), {
      id: 'csat',
      header: 'CSAT',
      meta: { numeric: true },
      sortUndefined: 'last',
      cell: ({ row, getValue }) => getValue() ?? (row.original.csatSurveyed ? 'No answer' : ''),
    }),
  ]
}

/**
 * The conversations behind one figure, from the same query as the report: each opens in the
 * workspace, and the whole list can be saved as CSV.
 */
export function DrillDownDialog({
  query,
  target,
  hours,
  onOpenConversation,
  onClose,
}: {
  query: ReportQuery
  target: DrillTarget
  hours: Hours
  onOpenConversation: OpenConversation
  onClose(): void
}) {
  const drill = useReportDrill(query, target.key)
  const exported = useExportReportCsv()
  const [sorting, setSorting] = useState<SortingState>([])
  function open(row: ReportConversation): void {
    if (!row.customerId) return
    onOpenConversation({ customerId: row.customerId, conversationId: row.id })
    onClose()
  }
  const rows = drill.data?.rows
  const table = useReactTable({
    data: useMemo(() => rows ?? [], [rows]),
    columns: drillColumns(hours, open),
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getPaginationRowModel: getPaginationRowModel(),
    initialState: { pagination: { pageIndex: 0, pageSize: PAGE_SIZE } },
  })

  return (
    <Dialog title={target.title} onClose={onClose} className="report-drill">
      <div className="report-drill-bar">
        <p className="report-drill-count" aria-live="polite">
          {rows ? plural(rows.length, 'conversation') : 'Loading…'}
        </p>
        {/* Never disabled: it is where the dialog puts focus first, and a disabled button would drop it. */}
        <button type="button" className="button" aria-disabled={exported.isPending} onClick={() => exported.isPending || exported.mutate({ query, key: target.key })}>
          {exported.isPending ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Close
        </button>
      </div>
      {exported.data && (
        <p role="status" className="report-drill-saved">
          Saved {exported.data.name} in Downloads
        </p>
      )}
      <Refusal error={drill.error ?? exported.error} />
      <div className="report-drill-list">{rows && <DataTable table={table} label={`Conversations: ${target.title}`} onRowClick={(row) => open(row.original)} />}</div>
      {table.getPageCount() > 1 && (
        <div className="report-drill-pages">
          <button type="button" className="button button-small" disabled={!table.getCanPreviousPage()} onClick={() => table.previousPage()}>
            Previous
          </button>
          <span>
            Page {table.getState().pagination.pageIndex + 1} of {table.getPageCount()}
          </span>
          <button type="button" className="button button-small" disabled={!table.getCanNextPage()} onClick={() => table.nextPage()}>
            Next
          </button>
        </div>
      )}
    </Dialog>
  )
}
