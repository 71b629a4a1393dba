import { systemActor } from '../../shared/actors'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { IdentityKind } from '../../shared/domain'
import { openSqliteStore } from '../store/sqlite/sqlite-store'
import type { Store } from '../store/store'
import { resolveIdentity } from './resolve'

let dir: string
let store: Store

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-resolve-'))
  store = openSqliteStore(path.join(dir, 'server.sqlite'))
})
afterEach(async () => {
  await store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

/** Stores a customer owning the given identities, as ingest would have. */
async function customerWith(id: string, identities: [IdentityKind, string][]): Promise<void> {
  await store.write(async (w) => {
    await w.put('customer', { id, name: id, labels: [], attributes: {}, consent: {}, createdAt: 1, updatedAt: 1, lastActivityAt: 1 })
    for (const [kind, address] of identities) {
      await w.put('identity', { id: `${id}-${kind}-${address}`, customerId: id, kind, address, displayName: null, createdAt: 1 })
    }
  }, systemActor('test'))
}

describe('resolveIdentity', () => {
  it('finds the customer by the exact normalized address', async () => {
    await customerWith('ann', [['email', 'ann@example.com']])
    const r = await resolveIdentity(store, { kind: 'email', address: ' ANN@example.com' }, [], 'US')
    expect(r.customerId).toBe('ann')
    expect(r.newIdentities).toEqual([])
  })

  it('treats a WhatsApp number and a phone number with the same E.164 as one customer', async () => {
    await customerWith('bob', [['phone', '+14155552671']])
    const r = await resolveIdentity(store, { kind: 'whatsapp', address: '14155552671', name: 'Bob' }, [], 'US')
    expect(r.customerId).toBe('bob')
    expect(r.newIdentities).toEqual([{ kind: 'whatsapp', address: '+14155552671', name: 'Bob', unverified: null }])
  })

  it('links a new sender to the customer of an identity they disclosed', async () => {
    await customerWith('cat', [['email', 'cat@example.com']])
    const r = await resolveIdentity(store, { kind: 'chat', address: 'visitor-1' }, [{ kind: 'email', address: 'Cat@Example.com' }], 'US')
    expect(r.customerId).toBe('cat')
    expect(r.newIdentities.map((i) => i.address)).toEqual(['visitor-1'])
  })

  it('creates a new customer named after the sender, else after the address', async () => {
    const named = await resolveIdentity(store, { kind: 'email', address: 'dan@example.com', name: 'Dan Day' }, [], 'US')
    expect(named.customerId).toBeNull()
    expect(named.newCustomerName).toBe('Dan Day')
    const unnamed = await resolveIdentity(store, { kind: 'phone', address: '4155552671' }, [], 'US')
    expect(unnamed.newCustomerName).toBe('+14155552671')
    expect(unnamed.newIdentities).toEqual([{ kind: 'phone', address: '+14155552671', name: null, unverified: null }])
  })

  it('never merges two existing customers: a disclosed identity of someone else stays theirs', async () => {
    await customerWith('eve', [['chat', 'visitor-eve']])
    await customerWith('fay', [['email', 'fay@example.com'], ['phone', '+14155552671']])
    const r = await resolveIdentity(
      store,
      { kind: 'chat', address: 'visitor-eve' },
      [
        { kind: 'email', address: 'fay@example.com' },
        { kind: 'whatsapp', address: '+14155552671' },
        { kind: 'email', address: 'eve@example.com' },
      ],
      'US',
    )
    expect(r.customerId).toBe('eve')
    // Only the address nobody owns joins Eve; Fay's email and her number's WhatsApp twin do not.
    expect(r.newIdentities.map((i) => i.address)).toEqual(['eve@example.com'])
  })

  it('rejects an invalid disclosed address and says where it was', async () => {
    await expect(
      resolveIdentity(store, { kind: 'chat', address: 'v-2' }, [{ kind: 'email', address: 'nope' }], 'US'),
    ).rejects.toThrow(expect.objectContaining({ path: 'alsoKnownAs.0.address' }))
  })
})
