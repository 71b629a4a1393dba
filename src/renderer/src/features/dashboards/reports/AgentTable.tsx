import { createColumnHelper, getCoreRowModel, getSortedRowModel, useReactTable, type SortingState } from '@tanstack/react-table'
import { useMemo, useState } from 'react'
import type { User } from '../../../../../shared/domain'
import { drillKey, type AgentFigure, type AgentRow } from '../../../../../shared/reporting/metrics'
import { DataTable } from './DataTable'
import { FigureButton, type OpenDrill } from './FigureButton'
import type { Hours } from './report-figures'
import { count, humanDuration, percent } from './report-format'

const column = createColumnHelper<AgentRow>()

/** A cell's figure: a button opening that agent's conversations for it, or a dash-free blank when there are none. */
function AgentFigureCell({ agent, figure, title, text, onDrill }: { agent: string; figure: AgentFigure; title: string; text: string | null; onDrill: OpenDrill }) {
  if (text === null) return <span className="report-figure-none">none</span>
  return (
    <FigureButton target={{ key: drillKey.agent(agent, figure), title }} onDrill={onDrill} className="report-figure-cell">
      {text}
    </FigureButton>
  )
}

/** Per agent: what was assigned to them, their replies and resolutions, their medians and their customers' ratings. Sorts by any column. */
export function AgentTable({ agents, users, hours, onDrill }: { agents: AgentRow[]; users: readonly User[]; hours: Hours; onDrill: OpenDrill }) {
  const [sorting, setSorting] = useState<SortingState>([{ id: 'assigned', desc: true }])
  const columns = useMemo(() => {
    const names = new Map(users.map((u) => [u.id, u.name]))
    const nameOf = (id: string) => names.get(id) ?? id
    const countColumn = (id: 'assigned' | 'replies' | 'resolved', header: string) =>
      column.accessor(id, {
        header,
        meta: { numeric: true },
        cell: ({ row, getValue }) => {
          const n = getValue()
          const agent = row.original.agentId
          return <AgentFigureCell agent={agent} figure={id} title={`${nameOf(agent)}, ${header.toLowerCase()}`} text={n > 0 ? count(n) : null} onDrill={onDrill} />
        },
      })
    const medianColumn = (id: 'firstResponse' | 'resolution', header: string) =>
      column.accessor((row) => row[id][hours] ?? undefined, {
        id,
        header,
        meta: { numeric: true },
        sortUndefined: 'last',
        cell: ({ row, getValue }) => {
          const ms = getValue()
          const agent = row.original.agentId
          return <AgentFigureCell agent={agent} figure={id} title={`${nameOf(agent)}, ${header.toLowerCase()}`} text={ms === undefined ? null : humanDuration(ms)} onDrill={onDrill} />
        },
      })
    return [
      column.accessor((row) => nameOf(row.agentId), { id: 'agent', header: 'Agent', sortingFn: 'text' }),
      countColumn('assigned', 'Assigned'),
      countColumn('replies', 'Replies'),
      countColumn('resolved', 'Resolved'),
      medianColumn('firstResponse', 'First response (median)'),
      medianColumn('resolution', 'Resolution (median)'),
      column.accessor((row) => row.csat.share ?? undefined, {
        id: 'csat',
        header: 'CSAT',
        meta: { numeric: true },
        sortUndefined: 'last',
        cell: ({ row, getValue }) => {
          const share = getValue()
          const { agentId, csat } = row.original
          const text = share === undefined ? null : `${percent(share)} of ${count(csat.answers)}`
          return <AgentFigureCell agent={agentId} figure="csat.answers" title={`${nameOf(agentId)}, CSAT answers`} text={text} onDrill={onDrill} />
        },
      }),
    ]
  }, [users, hours, onDrill])
  const table = useReactTable({
    data: agents,
    columns,
    state: { sorting },
    onSortingChange: setSorting,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  })
  return <DataTable table={table} label="Agents" />
}
