/**
 * The patterns that make a sentence a candidate fact. Each list covers English fully and the
 * commonest phrasings in Spanish, Portuguese, French, German, Italian and Dutch; a question mark
 * makes a request in any language.
 */

/**
 * Letters and digits of the scripts our customers write in (Latin with its accents, Greek,
 * Cyrillic), spelled out: the cue expressions run on every sentence of a history, and V8 runs a
 * case-insensitive expression some fifty times slower in unicode mode, where \p{L} would be needed.
 */
export const WORD_CHARS = String.raw`A-Za-z0-9_\u00C0-\u024F\u0370-\u04FF`

/**
 * JavaScript's \b knows ASCII letters only ("recibirá" would never end a word): a word's end is any
 * character outside WORD_CHARS. Its start stays \b, right for every cue (all begin with an ASCII letter).
 */
function unicodeWords(re: RegExp): RegExp {
  return new RegExp(re.source.replace(/\\b(?=[|)]|$)/g, `(?![${WORD_CHARS}])`), 'i')
}

export const REQUEST = unicodeWords(
  /\b(?:can|could|would|will) you\b|\bplease\b|\bpls\b|\bI(?:'d| would) (?:like|love|appreciate)\b|\bI (?:want|need|expect)\b|\bI(?:'m| am) (?:requesting|asking|trying)\b|\bhow (?:do|can|should) I\b|\bwhere(?:'s| is) my\b|\bwhen will\b|\bis it possible\b|\bhelp me\b|\bI(?:'d| would) like\b|\bpor favor\b|\bpodr[ií]an?\b|\bpuede[ns]?\b|\bquisiera\b|\bnecesito\b|\bquiero\b|\bs'il vous pla[iî]t\b|\bpourr(?:iez|ez)?[- ]vous\b|\bpouvez[- ]vous\b|\bje voudrais\b|\bj'aimerais\b|\bbitte\b|\bk[öo]nn(?:t)?en sie\b|\bich m[öo]chte\b|\bich brauche\b|\bgostaria\b|\bpreciso\b|\bpoderia[m]?\b|\bvorrei\b|\bpotete\b|\bper favore\b|\bgraag\b|\bkunt u\b|\bik wil\b/i,
)

export const PROMISE = unicodeWords(
  /\b(?:I|we)(?:'ll| will| shall|'re going to| are going to|'m going to| am going to)\b|\byou(?:'ll| will| should)? (?:receive|get|see|hear|have|be (?:refunded|credited|contacted|charged|able))\b|\b(?:within|in|up to) (?:\d+(?:\s?(?:-|–|to)\s?\d+)?|one|two|three|four|five|seven|ten)\s?(?:business |working )?(?:days?|hours?|weeks?)\b|\b(?:has|have|had) (?:now |just |already )?(?:been )?(?:approved|issued|processed|refunded|sent|cancel(?:l)?ed|credited|arranged|scheduled|booked|changed|reset|replaced|shipped|applied|waived|reversed|removed|added|logged|raised|escalated|submitted|reactivated)\b|\b(?:is|are) being (?:reviewed|processed|prepared|shipped|sent|investigated|fixed|rolled out|refunded|replaced)\b|\b(?:you )?(?:won't|will not) be (?:charged|billed|debited|taken)\b|\bnothing will be (?:taken|charged|collected)\b|\b(?:at )?no (?:extra|additional|further) (?:cost|charge)\b|\bfree of charge\b|\bI can (?:hold|book|reserve|extend|arrange|reverse)\b|\bsous \d+ jours\b|\binnerhalb von \d+|\bbinnen \d+|\ben (?:un plazo de )?\d+ d[íi]as\b|\bdentro de \d+|\bem at[ée] \d+|\bentro \d+ giorni\b|\b(?:ha|han) sido\b|\bhemos (?:cambiado|enviado|reembolsado|anulado|tramitado)\b|\bsera(?:it)? (?:fait|effectué|rembours[ée]|envoy[ée])\b|\b(?:I|we)(?:'ve| have)? ?(?:just |now |already )?(?:issued|processed|sent|arranged|refunded|scheduled|escalated|credited|cancel(?:l)?ed|reset|shipped|applied|booked|reissued|replaced|upgraded|waived|reversed|restored|unlocked|reactivated|expedited|put|placed|added|logged|raised|flagged|updated|changed|removed|approved|submitted|opened|asked|pushed|organised|organized)\b|\b(?:I|we)(?:'m| am|'re| are) (?:now |just )?(?:refunding|sending|issuing|processing|arranging|booking|escalating|cancell?ing|replacing|crediting|shipping|raising|waiving|reversing|adding|putting|logging|flagging|booking)\b|\blet me\b|\bI can (?:confirm|offer)\b|\b(?:vamos a|le enviaremos|te enviaremos|enviaremos|recibir[áa]s?|reembolsaremos|nous allons|nous vous|vous recevrez|je vais|wir werden|ich werde|sie erhalten|vamos|iremos|voc[êe] (?:receber[áa]|vai receber)|enviaremos|ricever[àa]|provvederemo|invieremo|we zullen|u ontvangt)\b/i,
)

export const PREFERENCE = unicodeWords(
  /\bprefer(?:ably|red|s)?\b|\b(?:text|call|phone|ring|e-?mail|message|whatsapp) me\b|\b(?:after|before|between|from) \d{1,2}(?::\d{2})?\s?(?:am|pm|h)\b|\b(?:in (?:the )?future|from now on|going forward)\b|\bno (?:paper|phone calls?|calls|letters|post)\b|\bnot (?:phone )?calls\b|\bI (?:don't|do not) want\b|\binstead of\b|\brather than\b|\bideally\b|\bmake sure\b|\bplut[ôo]t\b|\ba partir de las\b|\s[àa] partir de\b|\bliebers?\b|\bI(?:'d| would) rather\b|\bbest (?:time|way|number) to\b|\b(?:don't|do not|please don't|never) (?:call|phone|ring|email|text|message)\b|\bonly (?:by |via )?(?:email|call|phone|text|sms|whatsapp)\b|\b(?:email|call|phone|text|message|whatsapp|contact|reach) me (?:by|on|via|at|after|before|between|in the|only|instead)\b|\b(?:by|via) (?:email|phone|text|sms|whatsapp) (?:please|only|instead|rather)\b|\b(?:in|speak|speaks|speaking|reply in) (?:spanish|french|german|portuguese|italian|dutch|english)\b|\bprefiero\b|\bprefiere\b|\bpr[ée]f[èée]r(?:e|erais)\b|\bbevorzuge\b|\blieber\b|\bpreferisco\b|\bprefiro\b|\bliever\b/i,
)

/** Words that undo what follows them. Our tokenizer keeps contractions whole ("can't"). */
export const NEGATORS = new Set([
  'not', "n't", 'no', 'never', 'cannot', "can't", 'cant', "won't", 'wont', "don't", 'dont', "doesn't", "didn't", "isn't", "aren't",
  "wasn't", "weren't", "couldn't", "wouldn't", "shouldn't", 'unable', 'nor', 'without',
  'nunca', 'jamais', 'pas', 'nicht', 'kein', 'keine', 'nie', 'non', 'niet', 'geen', 'não', 'nao', 'ni',
])

/**
 * Speaker labels in a call transcript ("Customer:", "Agent (Kofi):", "Agente:", "Notes:"), wherever
 * they stand in the text: transcripts arrive as one paragraph as often as one line per turn.
 * Capitalized only, so "my agent: …" in a sentence is not a turn.
 */
export const SPEAKER =
  /(?<![\p{L}\p{N}])(Agent notes|Agent|Agente|Agentin|Rep|Support|Representative|Advisor|Adviser|Mitarbeiter|Mitarbeiterin|Atendente|Conseill(?:er|ère)|Medewerker|Operatore|Notes|Notas|Notizen|Nota|Customer|Caller|Client|Cliente|Clienta|Kunde|Kundin|Klant|User)(?:\s*\([^)\n]{0,40}\))?\s*:(?=\s)/gu
export const AGENT_SPEAKERS = /^(?:Agent notes|Agent|Agente|Agentin|Rep|Support|Representative|Advisor|Adviser|Mitarbeiter|Mitarbeiterin|Atendente|Conseill(?:er|ère)|Medewerker|Operatore|Notes|Notas|Notizen|Nota)$/u
