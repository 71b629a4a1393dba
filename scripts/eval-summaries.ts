import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { Channel, FactKind } from '../src/shared/domain'
import type { CountryCode } from 'libphonenumber-js'
import type { StoryContext, SummaryDraft, SummaryItem, SummaryUsage } from '../src/shared/summaries'
import { prepareSummarizer, summarizeStory } from '../src/shared/summarizer'
import type { ServerConfig } from '../src/server/config'
import { lastLine, leakedValues, matchesGold, meetsTargets, scoreCase, totals, type CaseScore, type GoldFact, type Totals } from '../src/shared/summarizer/evaluation'

/**
 * npm run eval:summaries [-- --verbose] [--model]: runs a summarizer over every case in
 * tests/fixtures/summaries and scores its facts against the gold ones (rules in
 * src/shared/summarizer/evaluation.ts), and checks that none of a case's personal data is where it
 * must not be: in the story the embedded summarizer wrote, or in a request sent to a model. The
 * last line is the result; the exit code is 1 when a target is missed. `--model` scores the model
 * the server is configured with (THREADLINE_CONFIG or THREADLINE_SUMMARY_MODEL_URL and
 * THREADLINE_SUMMARY_MODEL), through the same provider the server uses: redaction, the fact
 * check, and the embedded summarizer when the model fails (each such case is named).
 */

export interface Written {
  draft: SummaryDraft
  /** What the case's personal data must not be found in. */
  exposed: string[]
}

export type Summarize = (items: readonly SummaryItem[], context: StoryContext) => Promise<Written>

const FIXTURES = resolve(import.meta.dirname, '../tests/fixtures/summaries')

const Case = z.object({
  name: z.string(),
  description: z.string().optional(),
  language: z.string(),
  items: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['message', 'call', 'note']),
      conversationId: z.string(),
      channel: Channel,
      author: z.enum(['customer', 'agent']),
      at: z.string(),
      text: z.string(),
    }),
  ),
  conversations: z.array(z.object({ id: z.string(), status: z.enum(['open', 'pending', 'snoozed', 'resolved']), channel: Channel, subject: z.string().nullable() })),
  gold: z.array(z.object({ kind: FactKind, value: z.string().optional(), keywords: z.array(z.string()).optional(), sources: z.array(z.string()) })),
  personalData: z.array(z.string()).optional(),
})
type Case = z.infer<typeof Case>

export interface LoadedCase {
  file: string
  data: Case
  items: SummaryItem[]
  context: StoryContext
}

export function loadCases(dir = FIXTURES): LoadedCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const data = Case.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')))
      const items: SummaryItem[] = data.items.map((i) => ({ ...i, at: Date.parse(i.at) }))
      return { file, data, items, context: contextOf(data, items) }
    })
}

/** Open conversations newest first (by their newest item), as the store gives them to a summarizer. */
function contextOf(data: Case, items: readonly SummaryItem[]): StoryContext {
  const newest = new Map<string, number>()
  for (const i of items) newest.set(i.conversationId, Math.max(newest.get(i.conversationId) ?? 0, i.at))
  const open = data.conversations
    .filter((c) => c.status !== 'resolved')
    .sort((a, b) => (newest.get(b.id) ?? 0) - (newest.get(a.id) ?? 0) || (a.id < b.id ? -1 : 1))
    .map((c) => ({ id: c.id, status: c.status as 'open' | 'pending' | 'snoozed', channel: c.channel, subject: c.subject }))
  return { open, conversationCount: data.conversations.length }
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n)

/** `beforeResult` prints what belongs above the result line (a model's usage). */
export async function evaluate(
  summarize: Summarize,
  cases: readonly LoadedCase[],
  log: (line: string) => void,
  verbose = false,
  beforeResult?: () => void,
): Promise<Totals> {
  const scores: CaseScore[] = []
  log(
    `${pad('case', 44)}${pad('lang', 6)}${pad('items', 7)}${pad('gold', 6)}${pad('matched', 9)}${pad('facts', 7)}${pad('precision', 11)}${pad('invented', 10)}${pad('leaked', 8)}words`,
  )
  for (const c of cases) {
    const { draft, exposed } = await summarize(c.items, c.context)
    const gold: GoldFact[] = c.data.gold
    const personal = c.data.personalData ?? []
    const s = scoreCase(c.items, gold, draft, { personal, texts: exposed })
    scores.push(s)
    const precision = s.citations === 0 ? 1 : s.supported / s.citations
    log(
      `${pad(c.data.name.slice(0, 43), 44)}${pad(c.data.language, 6)}${pad(c.items.length, 7)}${pad(s.gold, 6)}${pad(s.matched, 9)}${pad(s.facts, 7)}${pad(precision.toFixed(2), 11)}${pad(s.invented, 10)}${pad(s.leaks, 8)}${s.storyWords}`,
    )
    if (verbose) {
      log(`    story: ${draft.text}`)
      for (const g of gold) if (!draft.facts.some((f) => matchesGold(f, g))) log(`    missed ${g.kind} ${g.value ?? JSON.stringify(g.keywords)} in ${g.sources.join(',')}`)
      for (const value of leakedValues(personal, exposed)) log(`    leaked ${value}`)
    }
  }
  const t = totals(scores)
  beforeResult?.()
  log(lastLine(t))
  return t
}

/** The embedded summarizer sends nothing anywhere; its story is what agents read and what syncs to every client. */
export const embedded: Summarize = async (items, context) => {
  await prepareSummarizer()
  const draft = summarizeStory(items, context)
  return { draft, exposed: [draft.text] }
}

/**
 * A model through the server's ModelSummarizer, with the configuration's settings; the usage is
 * counted in memory. What a case exposes is every request body sent for it, as it left: redacted.
 */
export async function modelSummarizer(
  cfg: Pick<
    ServerConfig,
    'summaryModelKey' | 'defaultCountry' | 'summaryModelTimeoutMs' | 'summaryModelRetries' | 'summaryModelConcurrency' | 'summaryTokenBudget'
  > & { summaryModelUrl: string; summaryModel: string },
  log: (line: string) => void,
): Promise<{ summarize: Summarize; report: () => void }> {
  const { ModelSummarizer } = await import('../src/server/summaries/model-provider')
  const usage: SummaryUsage = { requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 }
  let sent: string[] = []
  const summarizer = new ModelSummarizer({
    endpoint: { url: cfg.summaryModelUrl, model: cfg.summaryModel, key: cfg.summaryModelKey },
    usage: {
      usageOn: async () => usage,
      addUsage: async (_day, d) => {
        for (const key of Object.keys(usage) as (keyof SummaryUsage)[]) usage[key] += d[key]
      },
    },
    defaultCountry: cfg.defaultCountry as CountryCode,
    timeoutMs: cfg.summaryModelTimeoutMs,
    retries: cfg.summaryModelRetries,
    concurrency: cfg.summaryModelConcurrency,
    dailyRequestLimit: Number.MAX_SAFE_INTEGER,
    tokenBudget: cfg.summaryTokenBudget,
    fetch: (input, init) => {
      sent.push(typeof init?.body === 'string' ? init.body : String(init?.body))
      return fetch(input, init)
    },
  })
  return {
    // Cases are summarized one after another, so the requests sent meanwhile are this case's.
    summarize: async (items, context) => {
      sent = []
      const outcome = await summarizer.summarizeStory(items, context)
      if (outcome.fallbackReason) log(`  (the embedded summarizer answered: ${outcome.fallbackReason})`)
      return { draft: outcome.draft, exposed: sent }
    },
    report: () => log(`model use: ${usage.requests} requests, ${usage.promptTokens + usage.completionTokens} tokens, ${usage.failures} failures, ${usage.fallbacks} fallbacks`),
  }
}

/** The model the server is configured with. */
async function configuredModel(log: (line: string) => void): Promise<{ summarize: Summarize; report: () => void }> {
  const { loadConfig } = await import('../src/server/config')
  const cfg = loadConfig(process.env)
  const { summaryModelUrl, summaryModel } = cfg
  if (!summaryModelUrl || !summaryModel) {
    throw new Error('--model needs a configured model: set THREADLINE_SUMMARY_MODEL_URL and THREADLINE_SUMMARY_MODEL (or summaryModelUrl and summaryModel in THREADLINE_CONFIG)')
  }
  log(`model ${summaryModel} at ${summaryModelUrl}`)
  return modelSummarizer({ ...cfg, summaryModelUrl, summaryModel }, log)
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const log = (line: string): void => console.log(line)
  const model = process.argv.includes('--model')
    ? await configuredModel(log).catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : String(err))
        process.exit(2)
      })
    : null
  const result = await evaluate(model?.summarize ?? embedded, loadCases(), log, process.argv.includes('--verbose'), model?.report)
  process.exitCode = meetsTargets(result) ? 0 : 1
}
