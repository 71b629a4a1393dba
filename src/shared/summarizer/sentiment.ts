import { NEGATORS } from './cues'

/**
 * Strong customer feeling, from a small lexicon: the wink model in use has no sentiment scores
 * worth trusting on support text, and a fact should only say "upset" when the customer plainly is.
 * Only strong words count (a "thanks" is manners, not a feeling). A negator within the three
 * words before flips a positive word ("not happy" is negative) and cancels a negative one ("not a
 * disaster" says nothing).
 */

const NEGATIVE = new Set(
  `furious angry livid unacceptable disgusting disgusted terrible horrible awful appalling outrageous ridiculous useless worst scam
fraud ripoff rip-off disappointed disappointing frustrated frustrating annoyed upset incompetent pathetic shameful nightmare
disaster fed-up sick inaceptable pésimo pésima decepcionado decepcionada enfadado enfadada furioso furiosa molesto molesta harta harto
inacceptable déçu déçue scandaleux honteux furieux inakzeptabel enttäuscht schrecklich unverschämt verärgert katastrophe inaceitável
péssimo péssima irritado irritada inaccettabile deluso delusa pessimo vergognoso teleurgesteld schandalig`.split(/\s+/u),
)

const POSITIVE = new Set(
  `amazing awesome fantastic excellent wonderful brilliant superb outstanding delighted thrilled grateful lifesaver
impressed exceptional excelente genial increíble encantado encantada parfait génial formidable ausgezeichnet großartig wunderbar
ótimo ótima perfeito eccellente fantastico ottimo geweldig uitstekend`.split(/\s+/u),
)

/** Words that are only a feeling when negated ("not happy"); alone they are politeness. */
const MILD_POSITIVE = new Set(['renew', 'renewing', 'happy', 'satisfied', 'pleased', 'impressed', 'acceptable', 'good', 'okay', 'contento', 'content', 'zufrieden', 'satisfeito', 'soddisfatto', 'tevreden'])

/** Gratitude that is more than manners: intensified, exclaimed, or for something done. */
const GRATITUDE = /\b(?:thank(?:s| you)|appreciate|merci|danke|gracias|obrigad[oa]|grazie|bedankt)\b/i
const GRATITUDE_STRONG = /\b(?:so much|very much|really|a lot|for (?:sorting|fixing|helping|getting|your help|the quick|being))\b|!|\bappreciate\b|\brelief\b|\bbeaucoup\b|\bvielen\b|\bmuchas\b|\bmuito\b|\bmille\b|\bwel\b/i

/** Threats to leave or escalate: as strong as any insult, and what an agent must see first. */
const THREAT =
  /\b(?:I(?:'ll| will| am going to|'m going to| shall)|or I(?:'ll| will)?|otherwise I(?:'ll| will)?)\s+(?:(?:have to|just) )?(?:cancel|leave|close|switch|dispute|report|complain|go(?:ing)? to|take (?:this|it|my business))\b|\b(?:chargeback|ombudsman|regulator|trading standards|lawyer|solicitor|small claims|court)\b|\brenew(?:ing|al)\b.{0,60}\b(?:hard|difficult|reconsider|doubt)|\bzurückbuchen\b|\bverbraucherzentrale\b|\bdenuncia\b|\bréclamation\b|\bprocon\b/i

/** +1 strongly positive, -1 strongly negative, 0 neither (or both). */
export function sentimentOf(sentence: string, wordsOfSentence: readonly string[]): -1 | 0 | 1 {
  if (THREAT.test(sentence)) return -1
  let score = GRATITUDE.test(sentence) && GRATITUDE_STRONG.test(sentence) ? 1 : 0
  for (let i = 0; i < wordsOfSentence.length; i++) {
    const w = wordsOfSentence[i]!
    const positive = POSITIVE.has(w)
    const negative = NEGATIVE.has(w)
    const mild = MILD_POSITIVE.has(w)
    if (!positive && !negative && !mild) continue
    let negated = false
    for (let j = Math.max(0, i - 3); j < i && !negated; j++) negated = NEGATORS.has(wordsOfSentence[j]!)
    if (negative && !negated) score -= 1
    else if ((positive || mild) && negated) score -= 1
    else if (positive) score += 1
  }
  return score > 0 ? 1 : score < 0 ? -1 : 0
}
