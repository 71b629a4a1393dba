import { describe, expect, it } from 'vitest'
import { INITIAL_FILTER } from '../../api/queries'
import { compactFilters, filtersOfList, parseList, toggled } from './view-form'

describe('the save view form', () => {
  it('starts from what the inbox list shows', () => {
    expect(filtersOfList(INITIAL_FILTER)).toEqual({ status: ['open'] })
    expect(filtersOfList({ ...INITIAL_FILTER, view: 'mine', status: null })).toEqual({ assignee: 'me' })
    expect(filtersOfList({ ...INITIAL_FILTER, view: 'unassigned', team: 'Support', channel: 'sms' })).toEqual({
      status: ['open'],
      assignee: 'unassigned',
      teams: ['Support'],
      channels: ['sms'],
    })
  })

  it('reads a typed list and keeps only the fields that narrow', () => {
    expect(parseList(' refund, vip,,refund ')).toEqual(['refund', 'vip'])
    expect(compactFilters({ status: [], labels: ['vip'], waitingMinutes: undefined, assignee: 'me' })).toEqual({ labels: ['vip'], assignee: 'me' })
    expect(toggled(['open'], 'pending', true)).toEqual(['open', 'pending'])
    expect(toggled(['open', 'pending'], 'open', false)).toEqual(['pending'])
  })
})
