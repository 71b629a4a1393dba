import { createColumnHelper, getCoreRowModel, getSortedRowModel, useReactTable, type SortingState } from '@tanstack/react-table'
import { useMemo, useState } from 'react'
import { drillKey, type ChannelPath } from '../../../../../shared/reporting/metrics'
import { CHANNEL_LABELS } from '../../../lib/format'
import { DataTable } from './DataTable'
import { FigureButton, type OpenDrill } from './FigureButton'
import { count } from './report-format'

const column = createColumnHelper<ChannelPath>()

const routeOf = (path: ChannelPath): string => path.channels.map((c) => CHANNEL_LABELS[c]).join(' → ')

/** The commonest routes across channels of the conversations that switched, most taken first; each opens its conversations. */
export function ChannelPathsTable({ paths, onDrill }: { paths: ChannelPath[]; onDrill: OpenDrill }) {
  const [sorting, setSorting] = useState<SortingState>([])
  const columns = useMemo(
    () => [
      column.accessor(routeOf, { id: 'path', header: 'Channels, in order', sortingFn: 'text' }),
      column.accessor('conversations', {
        header: 'Conversations',
        meta: { numeric: true },
        cell: ({ row, getValue }) => (
          <FigureButton target={{ key: drillKey.path(row.original.path), title: routeOf(row.original) }} onDrill={onDrill} className="report-figure-cell">
            {count(getValue())}
          </FigureButton>
        ),
      }),
    ],
    [onDrill],
  )
  const table = useReactTable({
    data: paths,
    columns,
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  })
  return <DataTable table={table} label="Channel paths" />
}
