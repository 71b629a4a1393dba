import { annotate } from './nlp'
import { looksEnglish } from './sentences'
import { stemLite } from './facts'
import { contentWords } from './sentences'

/**
 * Which fact sentences make the story: Maximal Marginal Relevance over TF-IDF vectors.
 *
 * Why MMR: a support history repeats itself ("where is my order?" five times, three "we'll look
 * into it"s). Picking the most relevant sentences alone would spend the 80 words on one topic
 * told thrice; MMR trades each sentence's relevance against its similarity to what is already
 * picked, so the second sentence adds something the first did not say. λ = 0.7 leans on relevance,
 * because a story that skips the main ask for the sake of variety is worse than a repetitive one.
 *
 * Why TF-IDF against the centroid: relevance means "about what this customer keeps writing
 * about". Words that appear in every sentence (greetings, the product name) weigh little; the
 * centroid of all candidates stands for the customer's main topics without any model.
 *
 * Why rule boosts on top: the story must say what the customer asked, what the company promised
 * and what is still open, whatever the word statistics say; the boosts (promise, open question,
 * the customer's question, recency) put those first, and MMR orders within and across them.
 *
 * Terms are wink's stems for English sentences and lower-cased words with a light suffix strip
 * for the rest; annotations are cached by sentence, so an incremental update only stems new ones.
 */

export const MMR_LAMBDA = 0.7

export interface RankDoc {
  text: string
  /** Added to the cosine relevance, from the rules above (0 … ~1). */
  boost: number
}

const stemCache = new Map<string, string[]>()
const STEM_CACHE_MAX = 5_000

function terms(text: string): string[] {
  const cached = stemCache.get(text)
  if (cached) return cached
  let out: string[]
  if (looksEnglish(text)) {
    out = annotate(text)
      .tokens.filter((t) => !t.stop && /[\p{L}\p{N}]/u.test(t.text) && t.lower.length > 1)
      .map((t) => t.stem)
  } else {
    out = contentWords(text).map(stemLite)
  }
  // Bounded and dropped whole when full: the output never depends on what is cached, only the time.
  if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear()
  stemCache.set(text, out)
  return out
}

type Vector = Map<string, number>

function cosine(a: Vector, b: Vector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a]
  let dot = 0
  for (const [t, w] of small) dot += w * (large.get(t) ?? 0)
  return dot
}

function normalize(v: Vector): Vector {
  let sum = 0
  for (const w of v.values()) sum += w * w
  const norm = Math.sqrt(sum)
  if (norm > 0) for (const [t, w] of v) v.set(t, w / norm)
  return v
}

/** The docs' indices in MMR order (all of them). Ties go to the earlier index, so the order is deterministic. */
export function mmrOrder(docs: readonly RankDoc[], lambda = MMR_LAMBDA): number[] {
  const termLists = docs.map((d) => terms(d.text))
  const df = new Map<string, number>()
  for (const list of termLists) for (const t of new Set(list)) df.set(t, (df.get(t) ?? 0) + 1)
  const n = docs.length
  const vectors = termLists.map((list) => {
    const v: Vector = new Map()
    for (const t of list) v.set(t, (v.get(t) ?? 0) + 1)
    for (const [t, tf] of v) v.set(t, (1 + Math.log(tf)) * Math.log((n + 1) / ((df.get(t) ?? 0) + 1) + 1))
    return normalize(v)
  })
  const centroid: Vector = new Map()
  for (const v of vectors) for (const [t, w] of v) centroid.set(t, (centroid.get(t) ?? 0) + w)
  normalize(centroid)
  const relevance = vectors.map((v, i) => cosine(v, centroid) + docs[i]!.boost)
  const chosen: number[] = []
  const maxSim = new Array<number>(n).fill(0)
  const left = new Set(docs.keys())
  while (left.size > 0) {
    let best = -1
    let bestScore = -Infinity
    for (const i of left) {
      const s = lambda * relevance[i]! - (1 - lambda) * maxSim[i]!
      if (s > bestScore) {
        best = i
        bestScore = s
      }
    }
    left.delete(best)
    chosen.push(best)
    for (const i of left) maxSim[i] = Math.max(maxSim[i]!, cosine(vectors[i]!, vectors[best]!))
  }
  return chosen
}
