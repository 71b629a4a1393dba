/**
 * The patterns that make a sentence a candidate fact. Each list covers English fully and the
 * commonest phrasings in Spanish, Portuguese, French, German, Italian and Dutch; a question mark
 * makes a request in any language.
 */

/** JavaScript's \b knows ASCII letters only ("recibirá" would never end a word): these boundaries know every letter. */
function unicodeWords(re: RegExp): RegExp {
  const boundary = String.raw`(?:(?<![\p{L}\p{N}_'])(?=[\p{L}\p{N}_])|(?<=[\p{L}\p{N}_])(?![\p{L}\p{N}_]))`
  return new RegExp(re.source.replaceAll(String.raw`\b`, boundary), 'iu')
}

export const REQUEST = unicodeWords(
  /\b(?:can|could|would|will) you\b|\bplease\b|\bpls\b|\bI(?:'d| would) (?:like|love|appreciate)\b|\bI (?:want|need|expect)\b|\bI(?:'m| am) (?:requesting|asking|trying)\b|\bhow (?:do|can|should) I\b|\bwhere(?:'s| is) my\b|\bwhen will\b|\bis it possible\b|\bhelp me\b|\bI(?:'d| would) like\b|\bpor favor\b|\bpodr[ií]an?\b|\bpuede[ns]?\b|\bquisiera\b|\bnecesito\b|\bquiero\b|\bs'il vous pla[iî]t\b|\bpourr(?:iez|ez)?[- ]vous\b|\bpouvez[- ]vous\b|\bje voudrais\b|\bj'aimerais\b|\bbitte\b|\bk[öo]nn(?:t)?en sie\b|\bich m[öo]chte\b|\bich brauche\b|\bgostaria\b|\bpreciso\b|\bpoderia[m]?\b|\bvorrei\b|\bpotete\b|\bper favore\b|\bgraag\b|\bkunt u\b|\bik wil\b/iu,
)

export const PROMISE = unicodeWords(
  /\b(?:I|we)(?:'ll| will| shall|'re going to| are going to|'m going to| am going to)\b|\byou(?:'ll| will| should) (?:receive|get|see|hear|be (?:refunded|credited|contacted|charged|able))\b|\bwithin (?:\d+|one|two|three|four|five|seven|ten|24|48|72)\s?(?:business |working )?(?:days?|hours?|weeks?)\b|\b(?:I|we)(?:'ve| have)? ?(?:just |now |already )?(?:issued|processed|sent|arranged|refunded|scheduled|escalated|credited|cancel(?:l)?ed|reset|shipped|applied|booked|reissued|replaced|upgraded|waived|reversed|restored|unlocked|reactivated|expedited)\b|\blet me\b|\bI can (?:confirm|offer)\b|\b(?:vamos a|le enviaremos|te enviaremos|enviaremos|recibir[áa]s?|reembolsaremos|nous allons|nous vous|vous recevrez|je vais|wir werden|ich werde|sie erhalten|vamos|iremos|voc[êe] (?:receber[áa]|vai receber)|enviaremos|ricever[àa]|provvederemo|invieremo|we zullen|u ontvangt)\b/iu,
)

export const PREFERENCE = unicodeWords(
  /\bprefer(?:ably|red|s)?\b|\bI(?:'d| would) rather\b|\bbest (?:time|way|number) to\b|\b(?:don't|do not|please don't|never) (?:call|phone|ring|email|text|message)\b|\bonly (?:by |via )?(?:email|call|phone|text|sms|whatsapp)\b|\b(?:email|call|phone|text|message|whatsapp|contact|reach) me (?:by|on|via|at|after|before|between|in the|only|instead)\b|\b(?:by|via) (?:email|phone|text|sms|whatsapp) (?:please|only|instead|rather)\b|\b(?:in|speak|speaks|speaking|reply in) (?:spanish|french|german|portuguese|italian|dutch|english)\b|\bprefiero\b|\bprefiere\b|\bpr[ée]f[èée]r(?:e|erais)\b|\bbevorzuge\b|\blieber\b|\bpreferisco\b|\bprefiro\b|\bliever\b/iu,
)

/** Words that undo what follows them. Our tokenizer keeps contractions whole ("can't"). */
export const NEGATORS = new Set([
  'not', "n't", 'no', 'never', 'cannot', "can't", 'cant', "won't", 'wont', "don't", 'dont', "doesn't", "didn't", "isn't", "aren't",
  "wasn't", "weren't", "couldn't", "wouldn't", "shouldn't", 'unable', 'nor', 'without',
  'nunca', 'jamais', 'pas', 'nicht', 'kein', 'keine', 'nie', 'non', 'niet', 'geen', 'não', 'nao', 'ni',
])

/** A line in a call transcript that says who speaks from there on. */
export const SPEAKER = /^\s*(?:\[[^\]]*\]\s*)?(agent|rep|support|representative|advisor|notes?|agent notes?|customer|caller|client|cliente|kunde|user)\s*:\s*/iu
export const AGENT_SPEAKERS = /^(?:agent|rep|support|representative|advisor|notes?|agent notes?)$/iu
