import type winkNLP from 'wink-nlp'
import type { ItemEntity, ItsFunction } from 'wink-nlp'

/**
 * wink, loaded on first use: loading it and its model, then building its pipeline, takes 150–300
 * ms, which a process that never summarizes, or not yet, should not pay (the sync server starts
 * before it writes its first summary). It reads only the sentences the cheap pass keeps (a few
 * hundred), never a whole history: on 10,000 items it would take ~700 ms.
 */

type Nlp = ReturnType<typeof winkNLP>
let instance: Nlp | null = null
let loading: Promise<void> | null = null

/** Loads wink and its model; the summarizer's functions may be called once it has resolved. */
export function prepareSummarizer(): Promise<void> {
  loading ??= Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]).then(([wink, model]) => {
    instance = wink.default(model.default, ['sbd', 'negation', 'ner'])
  })
  return loading
}

function nlp(): Nlp {
  if (instance === null) throw new Error('the embedded summarizer is not ready: await prepareSummarizer() first')
  return instance
}

export interface Token {
  text: string
  lower: string
  stem: string
  /** Inside the scope of a negation ("we can't refund": "refund"). */
  negated: boolean
  stop: boolean
}

export interface Annotated {
  tokens: Token[]
  /** Named entities as wink types them (DATE, MONEY, EMAIL, CARDINAL…), each with its text as written. */
  entities: { type: string; value: string }[]
}

/** One sentence through wink. */
export function annotate(sentence: string): Annotated {
  const w = nlp()
  const its = w.its
  const doc = w.readDoc(sentence)
  const tokens = doc.tokens()
  const text = tokens.out()
  const lower = tokens.out(its.normal)
  // The types do not know that stem is a token its-function (it needs the model's addons, which wink passes).
  const stems = tokens.out(its.stem as unknown as ItsFunction<string>)
  const negated = tokens.out(its.negationFlag) as unknown as boolean[]
  const stop = tokens.out(its.stopWordFlag) as unknown as boolean[]
  const out: Token[] = text.map((t, i) => ({
    text: t,
    lower: lower[i] ?? t.toLowerCase(),
    stem: stems[i] ?? t.toLowerCase(),
    negated: negated[i] === true,
    stop: stop[i] === true,
  }))
  const entities: Annotated['entities'] = []
  doc.entities().each((e: ItemEntity) => {
    entities.push({ type: e.out(its.type), value: e.out() })
  })
  return { tokens: out, entities }
}
