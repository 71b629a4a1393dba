import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { useState } from 'react'
import type { AdminDirectory } from '../../../../shared/admin'
import { CHANNELS, type Channel } from '../../../../shared/domain'
import type { RetentionRule, RetentionRun, RetentionSettings } from '../../../../shared/retention'
import { useApi } from '../../api/context'
import { CHANNEL_LABELS, fullTime } from '../../lib/format'
import { AdminTable, Refusal, RowButton } from './parts'

const RETENTION_KEY = ['admin', 'retention'] as const

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString()} ${n === 1 ? one : many}`

/** What a run did, or a dry run would do, in one line. */
function runSummary(run: RetentionRun): string {
  const what = `${plural(run.conversations, 'conversation', 'conversations')} and ${plural(run.customers, 'customer', 'customers')}`
  return run.dryRun ? `Would delete ${what}` : `Deleted ${what}`
}

/**
 * Retention rules: per inbox and channel, how many days after their last activity resolved
 * conversations are deleted, and how long customers left with none are kept; a preview of what
 * a run would delete, and the log of runs.
 */
export function RetentionPanel({ directory }: { directory: AdminDirectory }) {
  const api = useApi()
  const overview = useQuery({ queryKey: RETENTION_KEY, queryFn: () => api.call('retention.get', {}) })
  if (!overview.data) return <Refusal error={overview.error} />
  return <RetentionForm directory={directory} saved={overview.data.settings} runs={overview.data.runs} />
}

function RetentionForm({ directory, saved, runs }: { directory: AdminDirectory; saved: RetentionSettings; runs: RetentionRun[] }) {
  const api = useApi()
  const client = useQueryClient()
  const [draft, setDraft] = useState<RetentionSettings>(saved)
  const refresh = () => void client.invalidateQueries({ queryKey: RETENTION_KEY })
  const save = useMutation({ mutationFn: (settings: RetentionSettings) => api.call('retention.save', settings), onSettled: refresh })
  const preview = useMutation({ mutationFn: () => api.call('retention.run', { dryRun: true }), onSettled: refresh })

  const setRule = (i: number, change: Partial<RetentionRule>) =>
    setDraft({ ...draft, rules: draft.rules.map((r, j) => (j === i ? { ...r, ...change } : r)) })
  const keepCustomers = draft.customersWithoutConversationsDays

  return (
    <section className="admin-section" aria-label="Retention">
      <p className="panel-muted">
        Resolved conversations are deleted this many days after their last activity, everywhere: on the server and on every
        agent&apos;s device. Open, pending and snoozed conversations are kept. The most specific rule covering a conversation applies.
      </p>
      <form
        aria-label="Retention rules"
        onSubmit={(e) => {
          e.preventDefault()
          save.mutate(draft)
        }}
      >
        <AdminTable label="Retention rules" columns={['Inbox', 'Channel', 'Delete after (days)']}>
          {draft.rules.map((rule, i) => (
            <tr key={i}>
              <td>
                <select aria-label={`Inbox of rule ${i + 1}`} value={rule.inbox ?? ''} onChange={(e) => setRule(i, { inbox: e.target.value || null })}>
                  <option value="">Any inbox</option>
                  {directory.inboxes.map((inbox) => (
                    <option key={inbox.name} value={inbox.name}>
                      {inbox.name}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <select
                  aria-label={`Channel of rule ${i + 1}`}
                  value={rule.channel ?? ''}
                  onChange={(e) => setRule(i, { channel: (e.target.value || null) as Channel | null })}
                >
                  <option value="">Any channel</option>
                  {CHANNELS.map((c) => (
                    <option key={c} value={c}>
                      {CHANNEL_LABELS[c]}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  type="number"
                  min={1}
                  max={36500}
                  aria-label={`Days of rule ${i + 1}`}
                  value={rule.deleteAfterDays}
                  onChange={(e) => setRule(i, { deleteAfterDays: Number(e.target.value) })}
                />
              </td>
              <td className="admin-actions">
                <RowButton label="Remove" name={`Remove rule ${i + 1}`} onClick={() => setDraft({ ...draft, rules: draft.rules.filter((_, j) => j !== i) })} />
              </td>
            </tr>
          ))}
        </AdminTable>
        <button
          type="button"
          className="button button-small"
          onClick={() => setDraft({ ...draft, rules: [...draft.rules, { inbox: null, channel: null, deleteAfterDays: 365 }] })}
        >
          Add rule
        </button>
        <label className="retention-customers">
          <input
            type="checkbox"
            checked={keepCustomers !== null}
            onChange={(e) => setDraft({ ...draft, customersWithoutConversationsDays: e.target.checked ? 30 : null })}
          />
          Erase customers with no conversation left
          {keepCustomers !== null && (
            <>
              {' '}
              after
              <input
                type="number"
                min={1}
                max={36500}
                aria-label="Days to keep customers with no conversation"
                value={keepCustomers}
                onChange={(e) => setDraft({ ...draft, customersWithoutConversationsDays: Number(e.target.value) })}
              />
              days
            </>
          )}
        </label>
        <div className="retention-actions">
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            Save rules
          </button>
          <button type="button" className="button" disabled={preview.isPending} onClick={() => preview.mutate()}>
            Preview a run
          </button>
        </div>
      </form>
      <Refusal error={save.error ?? preview.error} />
      {save.isSuccess && !save.isPending && <p role="status">Saved: the rules apply from the next daily run.</p>}
      {preview.data && (
        <p role="status" data-testid="retention-preview">
          {runSummary(preview.data)} (with the saved rules)
        </p>
      )}
      <AdminTable label="Retention runs" columns={['Started', 'Kind', 'Result', 'Error']}>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>{fullTime(run.startedAt)}</td>
            <td>{run.dryRun ? 'Preview' : run.requestedBy ? 'Run by an admin' : 'Daily run'}</td>
            <td>{runSummary(run)}</td>
            <td>{run.error ?? '—'}</td>
          </tr>
        ))}
      </AdminTable>
    </section>
  )
}
