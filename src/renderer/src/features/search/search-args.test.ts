import { describe, expect, it } from 'vitest'
import { IPC_ARGS } from '../../../../shared/ipc'
import { NO_FILTERS, searchArgs } from './SearchPanel'

describe('searchArgs', () => {
  it('searches a long pasted text by its start instead of refusing it', () => {
    const args = searchArgs(` ${'refund '.repeat(800)}`, NO_FILTERS, null)
    expect(args.text.length).toBeLessThanOrEqual(500)
    expect(args.text.startsWith('refund refund')).toBe(true)
    expect(IPC_ARGS['search.query'].safeParse(args).success).toBe(true)
  })

  it('explains in words why a search that long is refused when another caller sends it', () => {
    const refused = IPC_ARGS['search.query'].safeParse({ text: 'x'.repeat(5_000), limit: 60 })
    expect(refused.success).toBe(false)
    expect(refused.error?.issues[0]?.message).toBe('a search can be at most 500 characters long')
  })
})
