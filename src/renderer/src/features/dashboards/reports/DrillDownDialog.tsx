import { createColumnHelper, getCoreRowModel, useReactTable, type SortingState } from '@tanstack/react-table'
import { useMemo, useState } from 'react'
import type { ReportConversation } from '../../../../../shared/ipc'
import { DRILL_PAGE_SIZE, DRILL_SORT_FIELDS, type DrillSort, type DrillSortField } from '../../../../../shared/reporting/drill-pages'
import type { ReportQuery } from '../../../../../shared/reporting/report-query'
import { Dialog } from '../../../lib/Dialog'
import { CHANNEL_LABELS, fullTime, STATUS_LABELS } from '../../../lib/format'
import { Refusal } from '../../admin/parts'
import { PageButtons } from '../PageButtons'
import { DataTable } from './DataTable'
import type { DrillTarget } from './FigureButton'
import { useExportReportCsv, useReportDrill } from './queries'
import type { Hours } from './report-figures'
import { count, humanDuration, plural } from './report-format'

export type OpenConversation = (target: { customerId: string; conversationId: string }) => void

const column = createColumnHelper<ReportConversation>()

const ms = (value: number | null) => (value === null ? '' : humanDuration(value))
const text = <K extends string>(value: K | null, labels: Record<K, string>) => (value === null ? '' : labels[value])

/** The list's order as the core sorts it, from the table's: one column at a time. */
function drillSort(sorting: SortingState): DrillSort | undefined {
  const first = sorting[0]
  return first && (DRILL_SORT_FIELDS as readonly string[]).includes(first.id) ? { field: first.id as DrillSortField, descending: first.desc } : undefined
}

function drillColumns(hours: Hours, open: (row: ReportConversation) => void) {
  const firstResponse = hours === 'calendar' ? 'firstResponseCalendarMs' : 'firstResponseBusinessMs'
  const resolution = hours === 'calendar' ? 'resolutionCalendarMs' : 'resolutionBusinessMs'
  return [
    column.accessor('customerName', {
      header: 'Customer',
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
    column.accessor('subject', { header: 'Subject', cell: ({ getValue }) => getValue() ?? '' }),
    column.accessor('status', { header: 'Status', cell: ({ getValue }) => text(getValue(), STATUS_LABELS) }),
    column.accessor('channel', { header: 'Channel', cell: ({ getValue }) => text(getValue(), CHANNEL_LABELS) }),
    column.accessor('inbox', { header: 'Inbox', cell: ({ getValue }) => getValue() ?? '' }),
    column.accessor('createdAt', {
      header: 'Created',
      cell: ({ getValue }) => {
        const at = getValue()
        return at === null ? '' : fullTime(at)
      },
    }),
    column.accessor(firstResponse, { header: 'First response', meta: { numeric: true }, cell: ({ getValue }) => ms(getValue()) }),
    column.accessor(resolution, { header: 'Resolution', meta: { numeric: true }, cell: ({ getValue }) => ms(getValue()) }),
    column.accessor('reopened', { header: 'Reopened', meta: { numeric: true }, cell: ({ getValue }) => (getValue() > 0 ? count(getValue()) : '') }),
    // A survey that went out and has no answer says so, rather than look like one never sent.
    column.accessor('csatRating', {
      header: 'CSAT',
      meta: { numeric: true },
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
  const exported = useExportReportCsv()
  const [sorting, setSorting] = useState<SortingState>([])
  const [offset, setOffset] = useState(0)
  const drill = useReportDrill({ query, key: target.key, sort: drillSort(sorting), offset, limit: DRILL_PAGE_SIZE })
  function open(row: ReportConversation): void {
    if (!row.customerId) return
    onOpenConversation({ customerId: row.customerId, conversationId: row.id })
    onClose()
  }
  const page = drill.data
  const rows = page?.rows
  const table = useReactTable({
    data: useMemo(() => rows ?? [], [rows]),
    columns: drillColumns(hours, open),
    state: { sorting },
    // Sorted in the core, over the whole list: another order starts again from its first page.
    manualSorting: true,
    enableMultiSort: false,
    sortDescFirst: false,
    onSortingChange: (change) => {
      setSorting(change)
      setOffset(0)
    },
    getCoreRowModel: getCoreRowModel(),
  })

  return (
    <Dialog title={target.title} onClose={onClose} className="report-drill">
      <div className="report-drill-bar">
        <p className="report-drill-count" aria-live="polite">
          {page ? plural(page.total, 'conversation') : 'Loading…'}
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
      {page && <PageButtons page={page} pageSize={DRILL_PAGE_SIZE} onOffset={setOffset} />}
    </Dialog>
  )
}
