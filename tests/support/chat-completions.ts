import http from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * An OpenAI-compatible chat-completions endpoint on loopback, for the summary model's tests: it
 * records what it was sent and answers whatever the test decides (a completion, an error status,
 * a delay).
 */

export interface ChatBody {
  model: string
  messages: { role: string; content: string }[]
  response_format: { type: string }
}

export interface ModelAnswer {
  status?: number
  body?: unknown
  headers?: Record<string, string>
  delayMs?: number
}

export interface FakeModel {
  /** The base URL, ending in /v1, as summaryModelUrl takes it. */
  url: string
  bodies: ChatBody[]
  headers: http.IncomingHttpHeaders[]
  times: number[]
  maxInFlight: number
  /** Called for each request, numbered from 1; replace it to change what the model does. */
  answer: (body: ChatBody, n: number) => ModelAnswer
  close(): Promise<void>
}

/** A chat completion whose content is the given reply (an object as JSON, a string as it is). */
export function completion(
  reply: unknown,
  usage: { prompt_tokens: number; completion_tokens: number } | null = { prompt_tokens: 321, completion_tokens: 54 },
): ModelAnswer {
  return {
    body: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'test-model',
      choices: [{ index: 0, message: { role: 'assistant', content: typeof reply === 'string' ? reply : JSON.stringify(reply) }, finish_reason: 'stop' }],
      ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    },
  }
}

/** The ids of the items a request shows the model (its `[id · channel · …]` lines), in order. */
export const itemIdsOf = (body: ChatBody): string[] =>
  [...JSON.stringify(body.messages).matchAll(/\[([^\s·\]]+) ·/g)].map((m) => m[1]!)

export async function startFakeModel(answer: FakeModel['answer'] = () => completion({ story: '', facts: [] })): Promise<FakeModel> {
  let inFlight = 0
  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end()
        return
      }
      const body = JSON.parse(raw) as ChatBody
      fake.bodies.push(body)
      fake.headers.push(req.headers)
      fake.times.push(Date.now())
      inFlight++
      fake.maxInFlight = Math.max(fake.maxInFlight, inFlight)
      res.on('close', () => inFlight--)
      const reply = fake.answer(body, fake.bodies.length)
      setTimeout(() => {
        if (res.destroyed) return
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {})
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers }).end(text)
      }, reply.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const fake: FakeModel = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies: [],
    headers: [],
    times: [],
    maxInFlight: 0,
    answer,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return fake
}
