import type { Conversation, Customer, Message } from '../../src/shared/domain'
import { systemActor } from '../../src/shared/actors'
import type { Store } from '../../src/server/store/store'

const WORDS = (
  'parcel order refund tracking arrived broken kettle invoice charged twice delivery address courier warehouse ' +
  'replacement voucher tomorrow yesterday please thanks sorry still waiting weeks since number account payment card ' +
  'bank transfer receipt photo damaged missing part box crushed confirm escalate ticket manager call back evening'
).split(' ')

/**
 * A customer with a long email history, written straight into a store: what an export of 10,000
 * messages reads. Every message's text is `textBytes` long, so an export that held the history
 * in memory would show it in the heap.
 */
export async function seedLongHistory(store: Store, options: { customerId: string; messages: number; textBytes: number; at?: number }): Promise<void> {
  const at = options.at ?? 1_767_000_000_000
  const customer: Customer = {
    id: options.customerId,
    name: 'Long History',
    labels: [],
    attributes: {},
    consent: {},
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at + options.messages,
  }
  const conversation: Conversation = {
    id: `${options.customerId}-conv`,
    customerId: customer.id,
    channel: 'email',
    inbox: 'support',
    subject: 'A long story',
    status: 'open',
    snoozedUntil: null,
    assigneeId: null,
    team: null,
    threadKey: `${options.customerId}-thread`,
    labels: [],
    priority: 'normal',
    previousConversationId: null,
    lastMessageAt: at + options.messages,
    waitingSince: null,
    createdAt: at,
    updatedAt: at,
  }
  // Words drawn by a seeded generator: text as varied as real messages, so the archive compresses as it would.
  let state = 7
  const random = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
    return state / 4_294_967_296
  }
  const text = (n: number): string => {
    let out = `${n}:`
    while (out.length < options.textBytes) out += ` ${WORDS[Math.floor(random() * WORDS.length)]}`
    return out.slice(0, options.textBytes)
  }
  const message = (n: number): Message => ({
    id: `${options.customerId}-m${String(n).padStart(6, '0')}`,
    conversationId: conversation.id,
    customerId: customer.id,
    channel: 'email',
    direction: n % 2 === 0 ? 'inbound' : 'outbound',
    authorId: null,
    authorName: n % 2 === 0 ? customer.name : 'Support',
    subject: null,
    text: text(n),
    html: null,
    attachments: [],
    externalId: `<${options.customerId}-${n}@mail.test>`,
    deliveryStatus: n % 2 === 0 ? 'received' : 'sent',
    deliveryError: null,
    sentAt: at + n,
    updatedAt: at + n,
  })
  const actor = systemActor('test')
  await store.write(async (w) => {
    await w.put('customer', customer)
    await w.put('conversation', conversation)
  }, actor)
  for (let start = 0; start < options.messages; start += 1_000) {
    await store.write(async (w) => {
      for (let n = start; n < Math.min(start + 1_000, options.messages); n++) await w.put('message', message(n))
    }, actor)
  }
}
