import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Customer, Identity, Message } from '../../src/shared/domain'
import type { CustomerProfile, CustomerRelated, MergePreview, TimelinePage } from '../../src/shared/ipc'
import type { Core } from '../../src/core/core'
import { createCore } from '../../src/core/index'
import type { SyncServer } from '../../src/server/server'
import {
  agentWithToken,
  materialize,
  pullChangeLog,
  readCache,
  startTestServer,
  tempDir,
  waitFor,
  waitForQuietServer,
  waitUntilSynced,
} from './support/sync-harness'

let dir: ReturnType<typeof tempDir>
let server: SyncServer
const cores: Core[] = []

beforeEach(async () => {
  dir = tempDir('threadline-merge-')
  server = await startTestServer(join(dir.path, 'server.sqlite'))
})

afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()))
  await server.close()
  dir.remove()
})

const profile = async (core: Core, customerId: string) => (await core.handle('customer.get', { customerId })) as CustomerProfile
const timelineTexts = async (core: Core, customerId: string): Promise<string[]> => {
  const page = (await core.handle('customer.timeline', { customerId, limit: 500 })) as TimelinePage
  return page.items
    .filter((i) => i.kind === 'message')
    .map((i) => (i.item as Message).text)
    .sort()
}

describe('merging two customers and undoing it', () => {
  it('moves identities and timelines, converges on both clients, routes later mail to the target, and undoes exactly what moved', async () => {
    const email = await server.ingest({
      channel: 'email',
      inbox: 'support',
      externalId: '<order-1@mail.test>',
      from: { kind: 'email', address: 'priya@example.com', name: 'Priya Shah' },
      subject: 'Order 1',
      text: 'email: where is my order?',
    })
    const sms = await server.ingest({
      channel: 'sms',
      inbox: 'SMS',
      externalId: 'SM-merge-1',
      from: { kind: 'phone', address: '+14155550111', name: 'P. Shah' },
      text: 'sms: it is Priya, any news?',
    })
    expect(sms.customerId).not.toBe(email.customerId)
    const target = email.customerId
    const source = sms.customerId

    const ann = await agentWithToken(server, 'Ann Merger')
    const ben = await agentWithToken(server, 'Ben Watcher')
    const a = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: ann.token })
    const b = await createCore({ dataDir: join(dir.path, 'ben'), serverUrl: server.url, token: ben.token })
    cores.push(a, b)
    await Promise.all([waitUntilSynced(a, server), waitUntilSynced(b, server)])

    const preview = (await a.handle('customer.mergePreview', { sourceId: source, targetId: target })) as MergePreview
    expect(preview.identities.map((i) => i.address)).toEqual(['+14155550111'])
    expect(preview.conversations).toHaveLength(1)
    expect(preview.messages).toBe(1)
    await expect(a.handle('customer.merge', { sourceId: target, targetId: target })).rejects.toThrow(/itself/)

    const { mergeId } = (await a.handle('customer.merge', { sourceId: source, targetId: target })) as { mergeId: string }
    // Not optimistic: the merge shows as pending until the server's changes arrive.
    for (const core of [a, b]) {
      await waitFor('the merge to reach the client', async () => (await profile(core, source)).customer.mergedInto === target)
      expect((await profile(core, target)).identities.map((i) => i.address).sort()).toEqual(['+14155550111', 'priya@example.com'])
      expect(await timelineTexts(core, target)).toEqual(['email: where is my order?', 'sms: it is Priya, any news?'])
      expect(await timelineTexts(core, source)).toEqual([])
    }
    const related = (await a.handle('customer.related', { customerId: target })) as CustomerRelated
    expect(related.merges.map((m) => m.mergeId)).toEqual([mergeId])
    expect(related.pending).toEqual([])

    // After the merge, the source's phone number belongs to the target.
    const later = await server.ingest({
      channel: 'sms',
      inbox: 'SMS',
      externalId: 'SM-merge-2',
      from: { kind: 'phone', address: '+14155550111' },
      text: 'sms: hello again',
    })
    expect(later.customerId).toBe(target)
    // The agent settles the SMS; a new email then starts a matter of its own.
    expect((await server.applyMutation(ann.user, { name: 'setStatus', args: { conversationId: sms.conversationId, status: 'resolved' } })).outcome).toBe('applied')
    // And something that reaches the target on its own after the merge must stay with it on undo.
    const billing = await server.ingest({
      channel: 'email',
      inbox: 'billing',
      externalId: '<invoice-9@mail.test>',
      from: { kind: 'email', address: 'priya@example.com', name: 'Priya Shah' },
      subject: 'Invoice 9',
      text: 'email: invoice question',
    })
    expect(billing.customerId).toBe(target)
    expect(billing.conversationId).not.toBe(email.conversationId)
    for (const core of [a, b]) {
      await waitFor('the later messages on the target', async () => (await timelineTexts(core, target)).length === 4)
    }

    // Ben undoes Ann's merge.
    await b.handle('customer.unmerge', { mergeId })
    for (const core of [a, b]) {
      await waitFor('the undo to reach the client', async () => !(await profile(core, source)).customer.mergedInto)
      const s = await profile(core, source)
      const t = await profile(core, target)
      expect(s.identities.map((i: Identity) => i.address)).toEqual(['+14155550111'])
      expect(t.identities.map((i: Identity) => i.address)).toEqual(['priya@example.com'])
      expect(s.conversations.map((c) => c.id)).toEqual([sms.conversationId])
      expect(t.conversations.map((c) => c.id).sort()).toEqual([email.conversationId, billing.conversationId].sort())
      // The message that arrived in the moved SMS thread goes back with its thread.
      expect(await timelineTexts(core, source)).toEqual(['sms: hello again', 'sms: it is Priya, any news?'])
      expect(await timelineTexts(core, target)).toEqual(['email: invoice question', 'email: where is my order?'])
    }
    // Undoing twice changes nothing; merging again is possible.
    expect((await server.applyMutation(ann.user, { name: 'unmergeCustomers', args: { mergeId } })).outcome).toBe('duplicate')

    // Both caches hold exactly what the server's change log says.
    await waitForQuietServer(server)
    await Promise.all([waitUntilSynced(a, server), waitUntilSynced(b, server)])
    const truth = materialize(await pullChangeLog(server.url, ann.token))
    for (const name of ['ann', 'ben']) {
      const cache = readCache(join(dir.path, name))
      for (const key of [`customer:${source}`, `customer:${target}`, `conversation:${sms.conversationId}`] as const) {
        expect(cache.current.get(key)).toEqual(truth.get(key))
      }
      const movedBack = [...truth.entries()].filter(([k, v]) => k.startsWith('message:') && (v as Message).conversationId === sms.conversationId)
      expect(movedBack).toHaveLength(2)
      for (const [key, value] of movedBack) expect(cache.current.get(key)).toEqual(value)
    }
  })

  it('refuses a merge of an already merged customer and labels customers', async () => {
    const one = await server.ingest({ channel: 'sms', externalId: 'SM-a', from: { kind: 'phone', address: '+14155550121' }, text: 'a' })
    const two = await server.ingest({ channel: 'sms', externalId: 'SM-b', from: { kind: 'phone', address: '+14155550122' }, text: 'b' })
    const three = await server.ingest({ channel: 'sms', externalId: 'SM-c', from: { kind: 'phone', address: '+14155550123' }, text: 'c' })
    const ann = await agentWithToken(server, 'Ann Merger')
    const merge = (sourceId: string, targetId: string, mergeId: string) =>
      server.applyMutation(ann.user, { name: 'mergeCustomers', args: { mergeId, sourceId, targetId } })
    expect((await merge(one.customerId, two.customerId, 'm-1')).outcome).toBe('applied')
    const again = await merge(one.customerId, three.customerId, 'm-2')
    expect(again.outcome).toBe('rejected')
    expect(again.error).toMatch(/already merged/)
    const intoMerged = await merge(three.customerId, one.customerId, 'm-3')
    expect(intoMerged.error).toMatch(/merge into that one instead/)

    const a = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: ann.token })
    cores.push(a)
    await waitUntilSynced(a, server)
    await a.handle('customer.label', { customerId: two.customerId, add: ['vip', 'late-payer'] })
    await waitFor('the labels', async () => ((await profile(a, two.customerId)).customer as Customer).labels.length === 2)
    await a.handle('customer.label', { customerId: two.customerId, remove: ['late-payer'] })
    await waitFor('the label removed', async () => (await profile(a, two.customerId)).customer.labels.join() === 'vip')
  })

  it('lists a suggested duplicate on the customer it was noticed on until an agent dismisses it, on every client', async () => {
    const known = await server.ingest({
      channel: 'email',
      externalId: '<known@mail.test>',
      from: { kind: 'email', address: 'ola@example.com', name: 'Ola Nordmann' },
      text: 'hello',
    })
    const visitor = await server.ingest({ channel: 'chat', externalId: 'c-1', threadKey: 's-1', from: { kind: 'chat', address: 'visitor-7', name: 'Ola' }, text: 'hi' })
    await server.ingest({
      channel: 'chat',
      externalId: 'c-2',
      threadKey: 's-1',
      from: { kind: 'chat', address: 'visitor-7', name: 'Ola' },
      alsoKnownAs: [{ kind: 'email', address: 'ola@example.com' }],
      text: 'my email is ola@example.com',
    })
    const ann = await agentWithToken(server, 'Ann Merger')
    const ben = await agentWithToken(server, 'Ben Watcher')
    const a = await createCore({ dataDir: join(dir.path, 'ann'), serverUrl: server.url, token: ann.token })
    const b = await createCore({ dataDir: join(dir.path, 'ben'), serverUrl: server.url, token: ben.token })
    cores.push(a, b)
    await Promise.all([waitUntilSynced(a, server), waitUntilSynced(b, server)])
    const related = (core: Core) => core.handle('customer.related', { customerId: visitor.customerId }) as Promise<CustomerRelated>
    const [suggestion] = (await related(b)).suggestions
    expect(suggestion).toMatchObject({ candidateId: known.customerId, candidateName: 'Ola Nordmann', detail: expect.stringContaining('ola@example.com') })

    await a.handle('customer.dismissSuggestion', { suggestionId: suggestion!.suggestionId })
    for (const core of [a, b]) await waitFor('the dismissal everywhere', async () => (await related(core)).suggestions.length === 0)
  })
})
