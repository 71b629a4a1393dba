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
const MILD_POSITIVE = new Set(['happy', 'satisfied', 'pleased', 'impressed', 'acceptable', 'good', 'okay', 'contento', 'content', 'zufrieden', 'satisfeito', 'soddisfatto', 'tevreden'])

/** +1 strongly positive, -1 strongly negative, 0 neither (or both). */
export function sentimentOf(wordsOfSentence: readonly string[], negatedByWink?: ReadonlySet<number>): -1 | 0 | 1 {
  let score = 0
  for (let i = 0; i < wordsOfSentence.length; i++) {
    const w = wordsOfSentence[i]!
    const positive = POSITIVE.has(w)
    const negative = NEGATIVE.has(w)
    const mild = MILD_POSITIVE.has(w)
    if (!positive && !negative && !mild) continue
    let negated = negatedByWink?.has(i) ?? false
    for (let j = Math.max(0, i - 3); j < i && !negated; j++) negated = NEGATORS.has(wordsOfSentence[j]!)
    if (negative && !negated) score -= 1
    else if ((positive || mild) && negated) score -= 1
    else if (positive) score += 1
  }
  return score > 0 ? 1 : score < 0 ? -1 : 0
}
