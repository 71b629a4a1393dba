import { describe, expect, it } from 'vitest'
import { IPC_METHODS, type IpcHandlers } from '../../shared/ipc'
import { joinHandlers } from './registry'

const stub = (): unknown => null
const all = Object.fromEntries(IPC_METHODS.map((m) => [m, stub])) as unknown as IpcHandlers

describe('joinHandlers', () => {
  it('joins areas into one map covering every method', () => {
    const { 'sync.state': syncState, ...rest } = all
    const joined = joinHandlers([rest, { 'sync.state': syncState }])
    expect(Object.keys(joined).sort()).toEqual([...IPC_METHODS].sort())
  })

  it('throws when a method is registered twice', () => {
    expect(() => joinHandlers([all, { 'inbox.list': all['inbox.list'] }])).toThrow("IPC handler 'inbox.list' is registered twice")
  })

  it('throws when a method has no handler', () => {
    const { 'outbox.discard': _discard, ...rest } = all
    expect(() => joinHandlers([rest])).toThrow('IPC handlers missing for: outbox.discard')
  })
})
