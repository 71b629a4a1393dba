import { describe, expect, it } from 'vitest'
import type { SummaryFact } from '../../shared/domain'
import { checkFacts, identifierTokens } from './fact-check'

const sources = [
  { id: 'm1', text: 'Hi, my order #5521 (ref A-10293) arrived broken. It cost $45.99.' },
  { id: 'm2', text: 'Sorry! We will refund you by Friday. Send it to [IBAN_1].' },
]

const fact = (f: Partial<SummaryFact> & Pick<SummaryFact, 'text' | 'sourceIds'>): SummaryFact => ({ kind: 'request', ...f })

describe('identifierTokens', () => {
  it('finds the runs holding a digit, without the marks around them', () => {
    expect(identifierTokens('Order #5521 (A-10293) cost $45.99 on 2026-10-01, at 09:12. Refund to [IBAN_1] in three days')).toEqual([
      '5521',
      'A-10293',
      '45.99',
      '2026-10-01',
      '09:12',
      'IBAN_1',
    ])
  })
})

describe('checkFacts', () => {
  it('keeps facts whose values and numbers are in the items they cite', () => {
    const facts = [
      fact({ kind: 'identifier', text: 'Order #5521, ref A-10293', value: 'A-10293', sourceIds: ['m1'] }),
      fact({ kind: 'amount', text: 'Paid $45.99', value: '$45.99', sourceIds: ['m1'] }),
      fact({ kind: 'promise', text: 'Refund by Friday to [IBAN_1]', sourceIds: ['m2'] }),
      fact({ kind: 'sentiment', text: 'The customer is upset', sourceIds: ['m1', 'm2'] }),
    ]
    expect(checkFacts(facts, sources)).toEqual({ kept: facts, dropped: [] })
  })

  it('drops a fact citing an item that was not in the input, and keeps the rest', () => {
    const good = fact({ text: 'Broken order', sourceIds: ['m1'] })
    const bad = fact({ text: 'Wants a replacement', sourceIds: ['m1', 'm9'] })
    expect(checkFacts([good, bad], sources)).toEqual({ kept: [good], dropped: [{ fact: bad, reason: 'cites m9, which was not in the input' }] })
  })

  it('drops a fact whose value, or a number in its text, is not in the items it cites', () => {
    const wrongValue = fact({ kind: 'amount', text: 'Paid', value: '$54.99', sourceIds: ['m1'] })
    const wrongItem = fact({ kind: 'identifier', text: 'Order 5521', value: '5521', sourceIds: ['m2'] })
    const madeUp = fact({ kind: 'amount', text: 'Refund of $45.99 for order 5522', sourceIds: ['m1'] })
    const partOfANumber = fact({ kind: 'identifier', text: 'Order 552', sourceIds: ['m1'] })
    const { kept, dropped } = checkFacts([wrongValue, wrongItem, madeUp, partOfANumber], sources)
    expect(kept).toEqual([])
    expect(dropped.map((d) => d.reason)).toEqual([
      'its value "$54.99" is not in m1',
      'its value "5521" is not in m2',
      '"5522" is not in m1',
      '"552" is not in m1',
    ])
  })

  it('reads several sources under one id as one item (a previous fact stands for items not sent again)', () => {
    const previous = [...sources, { id: 'm0', text: 'Asked about order B-77' }, { id: 'm0', text: 'Prefers email' }]
    const f = fact({ text: 'Order B-77 asked about; prefers email', sourceIds: ['m0'] })
    expect(checkFacts([f], previous).kept).toEqual([f])
  })

  it('ignores case and spacing when it compares values', () => {
    const f = fact({ kind: 'identifier', text: 'Ref a-10293', value: 'a-10293', sourceIds: ['m1'] })
    expect(checkFacts([f], sources).kept).toEqual([f])
  })
})
