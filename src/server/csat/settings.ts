import { z } from 'zod'
import { ConsentPurpose } from '../../shared/domain'

/**
 * An inbox's `csat` settings: present, the inbox asks customers to rate a conversation when an
 * agent resolves it (docs/reporting.md, "Satisfaction surveys").
 */
export const CsatSettings = z.object({
  /** The question, in the inbox's language; SMS and WhatsApp add how to answer with a digit. */
  question: z.string().trim().min(1).max(300).default('How would you rate the help you received from us?'),
  /**
   * Which consent the survey needs, and so which quiet hours and frequency caps apply to it.
   * Promotional by default: a customer who opted out of marketing is not asked either.
   */
  purpose: ConsentPurpose.default('promotional'),
  /**
   * How long after the resolution the survey goes: a conversation reopened meanwhile (an Undo, the
   * customer writing back) is not asked about. 0 sends at once.
   */
  delaySeconds: z.number().int().min(0).max(86_400).default(120),
})
export type CsatSettings = z.output<typeof CsatSettings>
