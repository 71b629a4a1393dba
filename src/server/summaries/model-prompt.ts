import { z } from 'zod'
import { FactKind, SummaryFact, type Channel, type SummaryKind } from '../../shared/domain'
import { STORY_MAX_WORDS, wordCount, type StoryContext, type SummaryDraft, type SummaryItem } from '../../shared/summaries'
import type { FactSource } from './fact-check'
import type { Redactor } from './redaction'

/**
 * The chat-completions request a model summarizes from, and the reply it must give back. Every
 * text put into the request goes through the request's Redactor first.
 */

/** What is summarized: a customer's story (whole, or the new items after a previous one), a wrap-up, a call. */
export type SummaryTask =
  | { kind: Extract<SummaryKind, 'customer_story'>; items: readonly SummaryItem[]; context: StoryContext; previous: SummaryDraft | null }
  | { kind: Extract<SummaryKind, 'wrap_up'>; items: readonly SummaryItem[] }
  | { kind: Extract<SummaryKind, 'call'>; items: readonly [SummaryItem] }

/**
 * A story longer than asked is cut at the limit, not thrown away: models (local ones above all)
 * often run a few words over, and the rest of the reply is still good.
 */
function atMostWords(text: string): string {
  if (wordCount(text) <= STORY_MAX_WORDS) return text
  return `${text.split(/\s+/).filter(Boolean).slice(0, STORY_MAX_WORDS).join(' ')}…`
}

/** The reply, checked whatever the endpoint promised about response_format. */
export const ModelReply = z.object({
  story: z.string().trim().min(1).transform(atMostWords),
  facts: z.array(SummaryFact).max(60),
})
export type ModelReply = z.output<typeof ModelReply>

/**
 * The same shape for the endpoint's structured output. Written out rather than generated from
 * ModelReply: OpenAI's strict mode wants every property required (value may be null) and refuses
 * keywords such as maxLength, and llama.cpp turns the schema into a grammar; the limits are
 * ModelReply's to check.
 */
const REPLY_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['story', 'facts'],
  properties: {
    story: { type: 'string', description: `At most ${STORY_MAX_WORDS} words.` },
    facts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'text', 'value', 'sourceIds'],
        properties: {
          kind: { type: 'string', enum: FactKind.options },
          text: { type: 'string' },
          value: { type: ['string', 'null'] },
          sourceIds: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const

export interface ChatMessage {
  role: 'system' | 'user'
  content: string
}

export interface ChatCompletionRequest {
  model: string
  messages: ChatMessage[]
  temperature: number
  max_tokens: number
  response_format: { type: 'json_schema'; json_schema: { name: string; strict: boolean; schema: typeof REPLY_JSON_SCHEMA } }
}

export interface BuiltPrompt {
  request: ChatCompletionRequest
  /** What the model was shown, redacted, by id: a fact must be backed by the sources it cites. */
  sources: FactSource[]
  /** Items left out to stay within the token budget. */
  omitted: number
  /** ~4 characters a token. */
  estimatedTokens: number
}

/** Room for the reply: an 80-word story and its facts. */
export const REPLY_MAX_TOKENS = 1500

/** A rough count that needs no tokenizer: ~4 characters a token for English text. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

const CHANNEL_LABELS: Record<Channel, string> = { chat: 'web chat', email: 'email', sms: 'SMS', whatsapp: 'WhatsApp', voice: 'phone' }

const WHO: Record<SummaryItem['kind'], (item: SummaryItem) => string> = {
  message: (item) => item.author,
  call: () => 'call record',
  note: () => 'agent note',
}

/** "2026-10-01 09:12", in UTC like every time the server writes down. */
const formatTime = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ')

const FACT_RULES = [
  `Then list facts, each of kind ${FactKind.options.join(', ')}.`,
  'Every fact cites in sourceIds the ids (the first field of each line, e.g. m123) of the items that say it; cite only ids shown.',
  'For identifiers, amounts and dates, put the value in "value" exactly as it is written in the cited item; otherwise value is null.',
  'Never write a number, code or date that the cited items do not contain.',
  'Placeholders such as [EMAIL_1], [PHONE_2], [CARD_1] or [IBAN_1] stand for personal data: copy them as they are.',
  'Answer with JSON only: {"story": string, "facts": [{"kind", "text", "value", "sourceIds"}]}.',
].join(' ')

const TASK_TEXT: Record<SummaryKind, string> = {
  customer_story:
    `You summarize a customer's whole history with a support team, across channels, for an agent who has ten seconds. ` +
    `Write "story": at most ${STORY_MAX_WORDS} words — what the customer wants, what was done or promised, what is still open, and the status now.`,
  wrap_up:
    `You write the wrap-up of a resolved support conversation for the agents who meet this customer next. ` +
    `Write "story": at most ${STORY_MAX_WORDS} words — what the customer asked, how it was resolved, anything promised for later.`,
  call:
    `You summarize one phone call with a customer from its transcript and the agent's notes. ` +
    `Write "story": at most ${STORY_MAX_WORDS} words — why they called, what was agreed, what happens next.`,
}

const UPDATE_TEXT =
  'You are given the previous story and its facts and only the items that arrived since. Write the story anew from both; ' +
  'keep previous facts that still hold, with their sourceIds, and add facts from the new items.'

function systemPrompt(task: SummaryTask): string {
  const update = task.kind === 'customer_story' && task.previous ? `\n${UPDATE_TEXT}` : ''
  return `${TASK_TEXT[task.kind]}${update}\n${FACT_RULES}`
}

function itemLine(item: SummaryItem, redactor: Redactor, maxChars: number): { line: string; text: string } {
  const text = redactor.redact(item.text.replace(/\s+/g, ' ').trim())
  const clipped = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text
  return { line: `[${item.id} · ${CHANNEL_LABELS[item.channel]} · ${WHO[item.kind](item)} · ${formatTime(item.at)}] ${clipped}`, text: clipped }
}

function contextLines(context: StoryContext, redactor: Redactor): string[] {
  const open = context.open.map(
    (c) => `${c.id} (${CHANNEL_LABELS[c.channel]}, ${c.status}${c.subject ? `, "${redactor.redact(c.subject)}"` : ''})`,
  )
  return [`Conversations in all: ${context.conversationCount}. Not resolved: ${open.length > 0 ? open.join('; ') : 'none'}.`]
}

function previousLines(previous: SummaryDraft, redactor: Redactor): { lines: string[]; sources: FactSource[] } {
  const sources: FactSource[] = []
  const facts = previous.facts.map((fact) => {
    const text = redactor.redact(fact.text)
    const value = fact.value ? redactor.redact(fact.value) : null
    for (const id of fact.sourceIds) sources.push({ id, text: value ? `${text} ${value}` : text })
    return JSON.stringify({ kind: fact.kind, text, value, sourceIds: fact.sourceIds })
  })
  return { lines: ['Previous story:', redactor.redact(previous.text), 'Previous facts:', ...facts], sources }
}

/**
 * The request for one task within a token budget. Over budget, the newest items are kept (they
 * say where things stand) and the first one (it says how it began); a line says how many
 * between them were left out.
 */
export function buildPrompt(task: SummaryTask, options: { model: string; tokenBudget: number; redactor: Redactor }): BuiltPrompt {
  const { redactor, tokenBudget } = options
  const system = systemPrompt(task)
  const head: string[] = []
  const sources: FactSource[] = []
  if (task.kind === 'customer_story') {
    head.push(...contextLines(task.context, redactor))
    if (task.previous) {
      const previous = previousLines(task.previous, redactor)
      head.push(...previous.lines)
      sources.push(...previous.sources)
    }
    head.push(task.previous ? 'New items, oldest first:' : 'History, oldest first:')
  } else {
    head.push(task.kind === 'call' ? 'The call:' : 'The conversation, oldest first:')
  }

  const fixedTokens = estimateTokens(system) + estimateTokens(head.join('\n')) + 16
  const historyBudget = Math.max(0, tokenBudget - fixedTokens)
  // One item alone may take at most half the room, so a pasted log cannot crowd out everything else.
  const maxItemChars = Math.max(200, historyBudget * 2)
  const lines = task.items.map((item) => ({ item, ...itemLine(item, redactor, maxItemChars) }))

  const kept = new Set<number>()
  let used = 0
  const take = (index: number): boolean => {
    const cost = estimateTokens(lines[index]!.line) + 1
    if (used + cost > historyBudget && kept.size > 0) return false
    kept.add(index)
    used += cost
    return true
  }
  if (lines.length > 0) take(0)
  for (let i = lines.length - 1; i > 0 && take(i); i--);
  const omitted = lines.length - kept.size

  const history: string[] = []
  lines.forEach((entry, i) => {
    if (!kept.has(i)) return
    history.push(entry.line)
    sources.push({ id: entry.item.id, text: entry.text })
    if (i === 0 && omitted > 0) history.push(`(${omitted} later item${omitted === 1 ? '' : 's'} left out here for length)`)
  })

  const user = [...head, ...history].join('\n')
  return {
    request: {
      model: options.model,
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
      temperature: 0,
      max_tokens: REPLY_MAX_TOKENS,
      response_format: { type: 'json_schema', json_schema: { name: 'summary', strict: true, schema: REPLY_JSON_SCHEMA } },
    },
    sources,
    omitted,
    estimatedTokens: estimateTokens(system) + estimateTokens(user),
  }
}

export type ReplyProblem = 'not_json' | 'schema'

/** The model's content as a reply, or why it is none. A fenced ```json block is read like bare JSON. */
export function parseReply(content: string): { ok: true; reply: ModelReply } | { ok: false; problem: ReplyProblem; detail: string } {
  const bare = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/\s*```$/, '')
  let json: unknown
  try {
    json = JSON.parse(bare)
  } catch (err) {
    return { ok: false, problem: 'not_json', detail: (err as Error).message }
  }
  const parsed = ModelReply.safeParse(json)
  if (!parsed.success) return { ok: false, problem: 'schema', detail: z.prettifyError(parsed.error) }
  return { ok: true, reply: parsed.data }
}
