import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { api, startTestServer, userWithToken, type TestServer } from './server-fixtures'

/** The REST customer search (`GET /api/v1/customers?q=`) around merges, against the real server. */

let t: TestServer
let token: string
let merge: (sourceId: string, targetId: string, mergeId: string) => Promise<void>
let unmerge: (mergeId: string) => Promise<void>

beforeEach(async () => {
  t = await startTestServer()
  const agent = await userWithToken(t.server, 'Ann Merger')
  token = agent.token
  merge = async (sourceId, targetId, mergeId) =>
    expect((await t.server.applyMutation(agent.user, { name: 'mergeCustomers', args: { mergeId, sourceId, targetId } })).outcome).toBe('applied')
  unmerge = async (mergeId) => expect((await t.server.applyMutation(agent.user, { name: 'unmergeCustomers', args: { mergeId } })).outcome).toBe('applied')
})
afterEach(async () => {
  await t.cleanup()
})

const search = async (q?: string): Promise<string[]> => {
  const res = await api(t.server.url, 'GET', `/api/v1/customers${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`, { token })
  expect(res.status).toBe(200)
  return (res.body.items as { id: string }[]).map((c) => c.id)
}

async function customer(name: string, address: string): Promise<string> {
  const kind = address.includes('@') ? 'email' : 'phone'
  const channel = kind === 'email' ? 'email' : 'sms'
  const result = await t.server.ingest({ channel, externalId: `x-${address}`, from: { kind, address, name }, text: `hello from ${name}` })
  return result.customerId
}

describe('customer search and merges', () => {
  it('lists the surviving customer, once, for a search that matches only the merged-away record', async () => {
    const priya = await customer('Priya Shah', 'priya@example.com')
    const texter = await customer('P. Shah (mobile)', '+14155550111')
    const other = await customer('Omar Haddad', 'omar@example.com')
    expect(await search('mobile')).toEqual([texter])

    await merge(texter, priya, 'm-1')
    // Only the merged-away record carries this name: the search finds who it became.
    expect(await search('mobile')).toEqual([priya])
    // Both records match: still one row.
    expect(await search('Shah')).toEqual([priya])
    // Its phone number moved with the merge.
    expect(await search('+1415555')).toEqual([priya])
    expect((await search()).sort()).toEqual([priya, other].sort())

    await unmerge('m-1')
    expect(await search('mobile')).toEqual([texter])
    expect((await search('Shah')).sort()).toEqual([priya, texter].sort())
  })

  it('follows a chain of merges to the customer that stands', async () => {
    const a = await customer('Ada Chain', 'ada@example.com')
    const b = await customer('Bea Link', 'bea@example.com')
    const c = await customer('Cy End', 'cy@example.com')
    await merge(a, b, 'm-ab')
    await merge(b, c, 'm-bc')
    expect(await search('Ada')).toEqual([c])
    expect(await search('Bea')).toEqual([c])
    expect(await search('ada@')).toEqual([c])
    expect(await search()).toEqual([c])
  })
})
