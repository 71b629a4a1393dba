/**
 * The cheap pass every item goes through: sentences, words and content words by regular
 * expression. It runs over a whole history (10,000 items), so it allocates little and never calls
 * wink; wink reads only the sentences this pass keeps (see nlp.ts).
 */

/** A fact's text is at most 400 characters; a sentence longer than this is cut at a word. */
export const MAX_SENTENCE_CHARS = 300

/**
 * Items longer than this are read only up to it: a pasted log or a forwarded thread of 100 kB holds
 * nothing a summary needs past its first pages, and reading it all would cost the whole budget.
 */
export const MAX_ITEM_CHARS = 20_000

export interface Sentence {
  text: string
  /** Its index among the item's sentences. */
  index: number
}

const ABBREVIATION = /(?:^|[\s(])(?:no|nr|nos|ref|refs|approx|mr|mrs|ms|dr|st|vs|etc|e\.g|i\.e|incl|acc|tel|núm|n[º°])\.$/iu

const SENTENCE_END = /[^.!?…。！？\n]*(?:[.!?…。！？]+["'”’)\]]*|\n|$)/gu

/** Splits at end punctuation followed by space and at line breaks; keeps the punctuation. */
export function splitSentences(text: string): Sentence[] {
  const source = text.length > MAX_ITEM_CHARS ? text.slice(0, MAX_ITEM_CHARS) : text
  const out: Sentence[] = []
  let pending = ''
  for (const match of source.matchAll(SENTENCE_END)) {
    const piece = match[0]
    if (piece === '') continue
    pending += piece
    const end = match.index + piece.length
    const next = source.charAt(end)
    // "3.5", "e.g.x" and "example.com" do not end a sentence: end punctuation must be followed by space or the end.
    if (!piece.endsWith('\n') && next !== '' && !/\s/u.test(next)) continue
    // "member no. 0045521", "Mr. Patel", "e.g. this": an abbreviation's period does not end a sentence.
    if (ABBREVIATION.test(piece.slice(-8))) continue
    // "am 3. Oktober", "le 1. mars": a day number and its period do not end a sentence.
    if (/(?:^|\s)\d{1,2}\.$/u.test(piece.slice(-4)) && /^\s+\p{L}/u.test(source.slice(end, end + 3))) continue
    push(out, pending)
    pending = ''
  }
  push(out, pending)
  return out
}

function push(out: Sentence[], raw: string): void {
  const text = clip(raw.replace(/\s+/gu, ' ').trim())
  if (/[\p{L}\p{N}]/u.test(text)) out.push({ text, index: out.length })
}

/** Cuts at the last word boundary before MAX_SENTENCE_CHARS; a cut sentence ends with "…". */
export function clip(text: string, max = MAX_SENTENCE_CHARS): string {
  if (text.length <= max) return text
  const cut = text.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return (space > max / 2 ? cut.slice(0, space) : cut) + '…'
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu

/** Lower-case words (letters and digits, with inner apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? []
}

/**
 * Function words of the languages our customers write in most. A short list is enough: it only
 * keeps "the" and "de" from counting as shared content between two messages, and tells English
 * text (which wink can read) from the rest.
 */
const ENGLISH_STOP = new Set(
  `a about above after again against all am an and any are aren't as at be because been before being below between both but by
can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't
have haven't having he her here hers herself him himself his how i i'd i'll i'm i've if in into is isn't it it's its itself just
let's me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should shouldn't
so some such than that that's the their theirs them themselves then there there's these they they'd they'll they're they've this
those through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when where which while who
whom why will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves hi hello hey thanks thank
please ok okay yes also get got would like just still`.split(/\s+/u),
)

const OTHER_STOP = new Set(
  `el la los las un una unos unas de del y o que en por para con se su sus es son mi me te le lo al como pero más muy ya hola gracias
le la les un une des du de et ou que qui en dans pour par avec sur ce cette est sont mon ma mes je tu il elle nous vous ne pas bonjour merci
der die das ein eine und oder zu mit von für auf ist sind ich du er sie wir ihr nicht mein meine hallo danke bitte
o a os as um uma de do da dos das e ou que em no na para por com é são meu minha olá obrigado obrigada
il lo la gli le un una di da e o che in per con è sono mio mia ciao grazie
de het een en of dat in op voor met is zijn ik je mijn niet hallo bedankt`.split(/\s+/u),
)

export const isStopWord = (word: string): boolean => ENGLISH_STOP.has(word) || OTHER_STOP.has(word)

/** Words that carry meaning: not function words, not lone digits or letters. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && !isStopWord(w))
}

/**
 * English when at least a fifth of the words are English function words and fewer are other
 * languages' ones: support messages in English are dense with "I", "my", "the", "to". wink's model
 * is English, so only such sentences go to it.
 */
export function looksEnglish(text: string): boolean {
  const all = words(text)
  if (all.length === 0) return false
  let en = 0
  let other = 0
  for (const w of all) {
    if (ENGLISH_STOP.has(w)) en++
    else if (OTHER_STOP.has(w)) other++
  }
  return en / all.length >= 0.2 && en > other
}
