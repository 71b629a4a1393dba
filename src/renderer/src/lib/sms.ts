/**
 * How many SMS parts a text is sent as. GSM-7 texts fit 160 characters in one part and 153
 * per part once split; any character outside GSM-7 makes the whole text UCS-2 (70, then 67).
 * Characters of the GSM-7 extension table take two places.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
const GSM7_EXTENDED = '^{}\\[~]|€\f'

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2'
  /** Characters as the network counts them. */
  units: number
  segments: number
  /** Left in the current part before another one starts. */
  remaining: number
}

export function smsSegments(text: string): SmsSegments {
  let gsm = true
  let units = 0
  for (const ch of text) {
    if (GSM7_BASIC.includes(ch)) units += 1
    else if (GSM7_EXTENDED.includes(ch)) units += 2
    else {
      gsm = false
      break
    }
  }
  if (!gsm) {
    // UCS-2 counts UTF-16 code units: an emoji takes two.
    units = text.length
    const segments = units <= 70 ? 1 : Math.ceil(units / 67)
    return { encoding: 'UCS-2', units, segments, remaining: (units <= 70 ? 70 : segments * 67) - units }
  }
  const segments = units <= 160 ? 1 : Math.ceil(units / 153)
  return { encoding: 'GSM-7', units, segments, remaining: (units <= 160 ? 160 : segments * 153) - units }
}
