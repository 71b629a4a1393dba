import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { Channel, FactKind } from '../src/shared/domain'
import type { StoryContext, SummaryDraft, SummaryItem } from '../src/shared/summaries'
import { summarizeStory } from '../src/shared/summarizer'
import { lastLine, matchesGold, meetsTargets, scoreCase, totals, type CaseScore, type GoldFact } from '../src/shared/summarizer/evaluation'

/**
 * npm run eval:summaries [-- --verbose]: runs a summarizer over every case in
 * tests/fixtures/summaries and scores its facts against the gold ones (rules in
 * src/shared/summarizer/evaluation.ts). The last line is the result; the exit code is 1 when a
 * target is missed. The summarizer is a parameter so another provider (a model) can be scored the
 * same way.
 */

export type Summarize = (items: readonly SummaryItem[], context: StoryContext) => Promise<SummaryDraft>

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

export async function evaluate(summarize: Summarize, cases: readonly LoadedCase[], log: (line: string) => void, verbose = false): Promise<boolean> {
  const scores: CaseScore[] = []
  log(`${pad('case', 44)}${pad('lang', 6)}${pad('items', 7)}${pad('gold', 6)}${pad('matched', 9)}${pad('facts', 7)}${pad('precision', 11)}${pad('invented', 10)}words`)
  for (const c of cases) {
    const draft = await summarize(c.items, c.context)
    const gold: GoldFact[] = c.data.gold
    const s = scoreCase(c.items, gold, draft)
    scores.push(s)
    const precision = s.citations === 0 ? 1 : s.supported / s.citations
    log(
      `${pad(c.data.name.slice(0, 43), 44)}${pad(c.data.language, 6)}${pad(c.items.length, 7)}${pad(s.gold, 6)}${pad(s.matched, 9)}${pad(s.facts, 7)}${pad(precision.toFixed(2), 11)}${pad(s.invented, 10)}${s.storyWords}`,
    )
    if (verbose) {
      log(`    story: ${draft.text}`)
      for (const g of gold) if (!draft.facts.some((f) => matchesGold(f, g))) log(`    missed ${g.kind} ${g.value ?? JSON.stringify(g.keywords)} in ${g.sources.join(',')}`)
    }
  }
  const t = totals(scores)
  log(lastLine(t))
  return meetsTargets(t)
}

const embedded: Summarize = (items, context) => Promise.resolve(summarizeStory(items, context))

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await evaluate(embedded, loadCases(), (line) => console.log(line), process.argv.includes('--verbose'))
  process.exitCode = ok ? 0 : 1
}
