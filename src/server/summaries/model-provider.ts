import type { CountryCode } from 'libphonenumber-js'
import { z } from 'zod'
import type { SummaryProvider } from '../../shared/domain'
import type { StoryContext, SummaryDraft, SummaryItem, SummaryUsage } from '../../shared/summaries'
import * as embeddedSummarizer from '../../shared/summarizer'
import { checkFacts } from './fact-check'
import { buildPrompt, estimateTokens, parseReply, type ModelReply, type ReplyProblem, type SummaryTask } from './model-prompt'
import { Redactor } from './redaction'

/**
 * Summaries written by an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, llama.cpp
 * server, vLLM), with the embedded summarizer behind it: whenever the model may not be asked
 * (an inbox kept from models, the day's limit) or does not answer usably, the embedded one does,
 * and the outcome says why. Personal data is redacted before a request leaves and restored in
 * the reply; facts the items sent do not back are dropped.
 */

/** The pure summarizer in shared/summarizer: what answers when the model does not. */
export interface EmbeddedSummarizer {
  summarizeStory(items: readonly SummaryItem[], context: StoryContext): SummaryDraft | Promise<SummaryDraft>
  updateStory(previous: SummaryDraft, newItems: readonly SummaryItem[], context: StoryContext): SummaryDraft | Promise<SummaryDraft>
  summarizeConversation(items: readonly SummaryItem[]): SummaryDraft | Promise<SummaryDraft>
  summarizeCall(item: SummaryItem): SummaryDraft | Promise<SummaryDraft>
}

/** Where a day's model use is kept (UTC day, YYYY-MM-DD); the daily limit is read from it. */
export interface SummaryUsageStore {
  usageOn(day: string): Promise<SummaryUsage>
  addUsage(day: string, delta: SummaryUsage): Promise<void>
}

export interface SummaryModelLogger {
  warn(obj: object, msg: string): void
}

export interface SummaryModelEndpoint {
  /** Base URL, e.g. http://127.0.0.1:11434/v1: requests go to its /chat/completions. */
  url: string
  model: string
  /** Sent as a Bearer token; never logged. */
  key: string | null
}

export interface ModelSummarizerOptions {
  /** null: no model is configured, the embedded summarizer answers everything (no fallback reason). */
  endpoint: SummaryModelEndpoint | null
  /** Default: the embedded summarizer in shared/summarizer. */
  embedded?: EmbeddedSummarizer
  usage: SummaryUsageStore
  /** Country for reading phone numbers without a prefix when redacting (the server's defaultCountry). */
  defaultCountry: CountryCode
  /** The name of the item's inbox when that inbox is never sent to a model; null when it may be. */
  blockedInbox?: (item: SummaryItem) => string | null
  /** Per request (ms). */
  timeoutMs?: number
  /** Tries after the first on a timeout, a network error, 429 or 5xx; a reply that is not usable is tried once more at most. */
  retries?: number
  /** Requests in flight at once; more wait their turn. */
  concurrency?: number
  /** Requests per UTC day, retries included. */
  dailyRequestLimit?: number
  /** The most a prompt may be, in tokens. */
  tokenBudget?: number
  /** First backoff (ms); it doubles each try, with jitter. */
  retryBaseMs?: number
  /** The longest wait between tries, Retry-After included (ms). */
  retryMaxDelayMs?: number
  now?: () => number
  log?: SummaryModelLogger
  /** Default: the global fetch. The evaluation passes its own to check what leaves, redacted, for personal data. */
  fetch?: typeof fetch
}

export interface SummaryOutcome {
  draft: SummaryDraft
  provider: SummaryProvider
  /** The model that wrote it; null when the embedded summarizer did. */
  model: string | null
  /** Why the embedded summarizer answered although a model is configured. */
  fallbackReason: string | null
}

/** The parts of a chat completion read here; everything else in it is ignored. */
const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullish() }), finish_reason: z.string().nullish() })).min(1),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
})

type Attempt = ({ ok: true; reply: ModelReply } | { ok: false; failure: Failure }) & { promptTokens: number; completionTokens: number }

type Failure =
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string }
  | { kind: 'status'; status: number; retryAfterMs: number | null }
  | { kind: 'reply'; problem: ReplyProblem; detail: string }

const ZERO_USAGE: SummaryUsage = { requests: 0, promptTokens: 0, completionTokens: 0, failures: 0, fallbacks: 0 }

const retryable = (f: Failure): boolean => f.kind !== 'status' || f.status === 429 || f.status >= 500

const TIMES = ['', 'once', 'twice', 'three times']
const times = (n: number): string => TIMES[n] ?? `${n} times`
const tries = (n: number): string => `${n} ${n === 1 ? 'try' : 'tries'}`

function describe(f: Failure): string {
  switch (f.kind) {
    case 'timeout':
      return 'timed out'
    case 'network':
      return `could not be reached (${f.detail})`
    case 'status':
      return `answered ${f.status}`
    case 'reply':
      return f.problem === 'not_json' ? 'reply was not JSON' : 'reply did not match the schema'
  }
}

/** "model timed out after 3 tries", "model answered 500 three times", "model reply did not match the schema". */
export function fallbackReasonFor(failures: readonly Failure[]): string {
  const last = failures.at(-1)!
  const n = failures.length
  if (last.kind === 'reply') return `model ${describe(last)}`
  if (last.kind === 'status' && !retryable(last)) return `model refused the request: it answered ${last.status}`
  if (failures.every((f) => describe(f) === describe(last))) {
    if (last.kind === 'timeout') return `model timed out after ${tries(n)}`
    if (last.kind === 'network') return `model could not be reached after ${tries(n)} (${last.detail})`
    return `model ${describe(last)} ${times(n)}`
  }
  return `model failed ${tries(n)}, the last ${describe(last)}`
}

/** Retry-After in seconds or as an HTTP date, in ms from now; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now: number): number | null {
  if (!header) return null
  const seconds = Number(header.trim())
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** At most `size` tasks run at once; the rest wait in order. */
class Slots {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.size) this.active++
    // A finishing task hands its slot straight to the next waiting one, so `active` stays put.
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}

export class ModelSummarizer {
  private readonly slots: Slots
  /** Requests allowed today but not yet added to the usage store. */
  private pendingRequests = 0
  /** The usage store is read, checked and added to one step at a time, so two requests cannot both take the last one. */
  private usageQueue: Promise<unknown> = Promise.resolve()
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly dailyRequestLimit: number
  private readonly tokenBudget: number
  private readonly retryBaseMs: number
  private readonly retryMaxDelayMs: number
  private readonly now: () => number
  private readonly embedded: EmbeddedSummarizer

  constructor(private readonly options: ModelSummarizerOptions) {
    this.embedded = options.embedded ?? embeddedSummarizer
    this.slots = new Slots(options.concurrency ?? 2)
    this.timeoutMs = options.timeoutMs ?? 20_000
    this.retries = options.retries ?? 2
    this.dailyRequestLimit = options.dailyRequestLimit ?? 2000
    this.tokenBudget = options.tokenBudget ?? 12_000
    this.retryBaseMs = options.retryBaseMs ?? 500
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 30_000
    this.now = options.now ?? Date.now
  }

  /** A customer's story from all their items, or, given the previous story, from it and the items since. */
  summarizeStory(items: readonly SummaryItem[], context: StoryContext, previous?: SummaryDraft | null): Promise<SummaryOutcome> {
    const embedded = (): SummaryDraft | Promise<SummaryDraft> =>
      previous ? this.embedded.updateStory(previous, items, context) : this.embedded.summarizeStory(items, context)
    return this.summarize({ kind: 'customer_story', items, context, previous: previous ?? null }, embedded)
  }

  /** The wrap-up of a resolved conversation. */
  summarizeConversation(items: readonly SummaryItem[]): Promise<SummaryOutcome> {
    return this.summarize({ kind: 'wrap_up', items }, () => this.embedded.summarizeConversation(items))
  }

  /** One call's summary, from its transcript and notes. */
  summarizeCall(item: SummaryItem): Promise<SummaryOutcome> {
    return this.summarize({ kind: 'call', items: [item] }, () => this.embedded.summarizeCall(item))
  }

  private async summarize(task: SummaryTask, writeEmbedded: () => SummaryDraft | Promise<SummaryDraft>): Promise<SummaryOutcome> {
    // The embedded summarizer's language model loads with the first summary it writes, not as the server starts.
    const embedded = async (): Promise<SummaryDraft> => {
      await embeddedSummarizer.prepareSummarizer()
      return writeEmbedded()
    }
    const { endpoint } = this.options
    if (!endpoint) return { draft: await embedded(), provider: 'embedded', model: null, fallbackReason: null }
    const fallBack = async (reason: string): Promise<SummaryOutcome> => {
      await this.recordUsage({ ...ZERO_USAGE, fallbacks: 1 })
      return { draft: await embedded(), provider: 'embedded', model: null, fallbackReason: reason }
    }
    for (const item of task.items) {
      const inbox = this.options.blockedInbox?.(item) ?? null
      if (inbox !== null) return fallBack(`inbox ${inbox} is not sent to a model`)
    }
    const result = await this.slots.run(() => this.askModel(task, endpoint))
    return 'reason' in result ? fallBack(result.reason) : { draft: result.draft, provider: 'model', model: endpoint.model, fallbackReason: null }
  }

  /** Tries the model until it answers usably, a failure is not worth retrying, or the tries run out. */
  private async askModel(task: SummaryTask, endpoint: SummaryModelEndpoint): Promise<{ draft: SummaryDraft } | { reason: string }> {
    // One Redactor per request: a value keeps one placeholder across all the request's texts.
    const redactor = new Redactor(this.options.defaultCountry)
    const prompt = buildPrompt(task, { model: endpoint.model, tokenBudget: this.tokenBudget, redactor })
    const failures: Failure[] = []
    for (;;) {
      if (!(await this.takeRequest())) return { reason: `daily model request limit (${this.dailyRequestLimit}) reached` }
      const attempt = await this.send(endpoint, prompt.request, prompt.estimatedTokens)
      await this.recordUsage(
        { ...ZERO_USAGE, requests: 1, promptTokens: attempt.promptTokens, completionTokens: attempt.completionTokens, failures: attempt.ok ? 0 : 1 },
        { requestDone: true },
      )
      if (attempt.ok) {
        const { kept, dropped } = checkFacts(attempt.reply.facts, prompt.sources)
        if (dropped.length > 0) {
          this.options.log?.warn({ model: endpoint.model, dropped: dropped.map((d) => d.reason) }, 'summary model facts dropped: not backed by the items cited')
        }
        const facts = kept.map((fact) => ({
          ...fact,
          text: redactor.restore(fact.text),
          ...(fact.value ? { value: redactor.restore(fact.value) } : {}),
        }))
        return { draft: { text: redactor.restore(attempt.reply.story), facts } }
      }
      const { failure } = attempt
      failures.push(failure)
      this.options.log?.warn({ model: endpoint.model, attempt: failures.length, failure: describe(failure) }, 'summary model request failed')
      const badReplies = failures.filter((f) => f.kind === 'reply').length
      if (!retryable(failure) || failures.length > this.retries || badReplies > 1) return { reason: fallbackReasonFor(failures) }
      await sleep(this.delayBefore(failures.length, failure))
    }
  }

  /** Exponential backoff with jitter (half fixed, half random); a 429's Retry-After when longer. Both capped. */
  private delayBefore(retry: number, failure: Failure): number {
    const backoff = this.retryBaseMs * 2 ** (retry - 1)
    const jittered = backoff / 2 + Math.random() * (backoff / 2)
    const asked = failure.kind === 'status' ? (failure.retryAfterMs ?? 0) : 0
    return Math.min(this.retryMaxDelayMs, Math.max(jittered, asked))
  }

  /** One request. Tokens come from the reply's usage when it has one, else from the ~4 characters a token estimate. */
  private async send(endpoint: SummaryModelEndpoint, body: unknown, estimatedPromptTokens: number): Promise<Attempt> {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), this.timeoutMs)
    const failed = (failure: Failure, promptTokens = 0, completionTokens = 0): Attempt => ({ ok: false, failure, promptTokens, completionTokens })
    try {
      const response = await (this.options.fetch ?? fetch)(`${endpoint.url.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(endpoint.key ? { authorization: `Bearer ${endpoint.key}` } : {}),
        },
        body: JSON.stringify(body),
        signal: controller.signal,
      })
      const text = await response.text()
      if (!response.ok) {
        return failed({ kind: 'status', status: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), this.now()) })
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch (err) {
        return failed({ kind: 'reply', problem: 'not_json', detail: (err as Error).message }, estimatedPromptTokens, estimateTokens(text))
      }
      const completion = ChatCompletion.safeParse(json)
      if (!completion.success) {
        return failed({ kind: 'reply', problem: 'schema', detail: z.prettifyError(completion.error) }, estimatedPromptTokens, estimateTokens(text))
      }
      const content = completion.data.choices[0]!.message.content ?? ''
      const promptTokens = completion.data.usage?.prompt_tokens ?? estimatedPromptTokens
      const completionTokens = completion.data.usage?.completion_tokens ?? estimateTokens(content)
      const reply = parseReply(content)
      if (!reply.ok) return failed({ kind: 'reply', problem: reply.problem, detail: reply.detail }, promptTokens, completionTokens)
      return { ok: true, reply: reply.reply, promptTokens, completionTokens }
    } catch (err) {
      if (controller.signal.aborted) return failed({ kind: 'timeout' })
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      return failed({ kind: 'network', detail: cause?.code ?? cause?.message ?? (err as Error).message })
    } finally {
      clearTimeout(timer)
    }
  }

  private day(): string {
    return new Date(this.now()).toISOString().slice(0, 10)
  }

  /** Takes one of today's requests, or says the day's limit is reached. */
  private takeRequest(): Promise<boolean> {
    return this.serially(async () => {
      const used = await this.options.usage.usageOn(this.day())
      if (used.requests + this.pendingRequests >= this.dailyRequestLimit) return false
      this.pendingRequests++
      return true
    })
  }

  private recordUsage(delta: SummaryUsage, { requestDone = false } = {}): Promise<void> {
    return this.serially(async () => {
      try {
        await this.options.usage.addUsage(this.day(), delta)
      } finally {
        if (requestDone) this.pendingRequests--
      }
    })
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.usageQueue.then(step)
    this.usageQueue = run.catch(() => undefined)
    return run
  }
}
