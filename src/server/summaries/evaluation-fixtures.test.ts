import { describe, expect, it } from 'vitest'
import { embedded, evaluate, loadCases, modelSummarizer } from '../../../scripts/eval-summaries'
import { TARGETS } from '../../shared/summarizer/evaluation'
import { completion, startFakeModel } from '../../../tests/support/chat-completions'

/**
 * `npm run eval:summaries` as a test: the embedded summarizer over every hand-written history in
 * tests/fixtures/summaries, scored by the same code, so a change that costs recall, cites the
 * wrong message, invents an identifier or puts personal data in a story fails the suite.
 */
describe('the embedded summarizer on the evaluation cases', () => {
  it('meets every target', async () => {
    const cases = loadCases()
    const lines: string[] = []
    const result = await evaluate(embedded, cases, (line) => lines.push(line), true)
    const report = lines.join('\n')
    expect(result.cases, report).toBe(cases.length)
    expect(cases.filter((c) => (c.data.personalData ?? []).length > 0).length).toBeGreaterThan(0)
    expect(result.recall, report).toBeGreaterThanOrEqual(TARGETS.recall)
    expect(result.precision, report).toBeGreaterThanOrEqual(TARGETS.precision)
    expect(result.invented, report).toBe(0)
    expect(result.leaks, report).toBe(0)
    expect(lines.at(-1)).toMatch(/^summaries: recall \d\.\d\d, citation precision \d\.\d\d, invented identifiers 0 over \d+ cases, personal data leaked 0$/)
  })
})

describe('the evaluation of a model', () => {
  it('sends none of the cases’ personal data to the model, as the server would redact it', async () => {
    const model = await startFakeModel(() => completion({ story: 'A story.', facts: [] }))
    try {
      const cases = loadCases()
      const { summarize } = await modelSummarizer(
        {
          summaryModelUrl: model.url,
          summaryModel: 'loopback-7b',
          summaryModelKey: null,
          defaultCountry: 'GB',
          summaryModelTimeoutMs: 5_000,
          summaryModelRetries: 0,
          summaryModelConcurrency: 2,
          summaryTokenBudget: 12_000,
        },
        () => undefined,
      )
      const lines: string[] = []
      const result = await evaluate(summarize, cases, (line) => lines.push(line), true)
      expect(model.bodies).toHaveLength(cases.length)
      expect(result.leaks, lines.filter((l) => l.includes('leaked ')).join('\n')).toBe(0)
      expect(lines.at(-1)).toMatch(/, personal data leaked 0$/)
    } finally {
      await model.close()
    }
  })
})
