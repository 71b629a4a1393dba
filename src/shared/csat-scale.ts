/**
 * The satisfaction survey's scale, apart from its schemas (csat.ts) so that the web chat widget
 * can show it without bundling zod.
 */
export const CSAT_RATINGS = [1, 2, 3, 4, 5] as const

/** Each rating in words, as the widget, the email and its page, and the timeline name them. */
export const RATING_WORDS: Readonly<Record<(typeof CSAT_RATINGS)[number], string>> = { 1: 'Very poor', 2: 'Poor', 3: 'Okay', 4: 'Good', 5: 'Great' }
