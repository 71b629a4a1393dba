import { z } from 'zod'

/** A UTC day's use of the summary model, as the server reports it to supervisors (GET /api/v1/summaries/usage). */
export const SummaryUsageOfDay = z
  .object({
    /** YYYY-MM-DD, UTC. */
    day: z.string(),
    requests: z.number().int().nonnegative(),
    promptTokens: z.number().int().nonnegative(),
    completionTokens: z.number().int().nonnegative(),
    failures: z.number().int().nonnegative(),
    /** Summaries the embedded summarizer wrote because the model failed, was not allowed, or hit its limit. */
    fallbacks: z.number().int().nonnegative(),
  })
  .meta({ id: 'SummaryUsage' })
export type SummaryUsageOfDay = z.infer<typeof SummaryUsageOfDay>
