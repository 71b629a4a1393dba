import { z } from 'zod'
import { Channel, type OutboundTemplate } from './domain'

/**
 * What clients learn about the inboxes they may see: nothing secret, only what the composer
 * needs to offer the right choices (today: WhatsApp's approved templates). The server sends it
 * with the signed-in user (`whoami`); the connector settings holding secrets never leave it.
 */

const PLACEHOLDER = /\{\{(\d+)\}\}/g

/** The placeholder numbers a template body uses, in order of appearance. */
function placeholders(body: string): number[] {
  return [...body.matchAll(PLACEHOLDER)].map((m) => Number(m[1]))
}

/** A template the provider approved for an inbox; the server refuses to send any other. */
export const ApprovedTemplate = z
  .object({
    name: z.string().trim().min(1).max(512),
    /** The template's language code, e.g. en_US; the same name may be approved in several languages. */
    language: z.string().trim().min(2).max(15),
    /** How many body parameters ({{1}}…{{n}}) a send must fill. */
    parameterCount: z.number().int().min(0).max(50),
    /** The approved body text with its {{1}}… placeholders, shown to the agent as a preview. */
    body: z.string().trim().min(1).max(1024),
  })
  .superRefine((t, ctx) => {
    // The provider numbers placeholders 1..n without gaps; a body that disagrees with the count
    // would preview one message and send another.
    const used = new Set(placeholders(t.body))
    const expected = Array.from({ length: t.parameterCount }, (_, i) => i + 1)
    if (used.size !== expected.length || expected.some((n) => !used.has(n))) {
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: `template "${t.name}" declares ${t.parameterCount} parameter(s), so its body must use exactly {{1}}…{{${t.parameterCount}}}${t.parameterCount === 0 ? ' (none)' : ''}; it uses ${[...used].sort((a, b) => a - b).map((n) => `{{${n}}}`).join(', ') || 'none'}`,
      })
    }
  })
export type ApprovedTemplate = z.infer<typeof ApprovedTemplate>

export const InboxInfo = z.object({
  name: z.string().min(1),
  channel: Channel,
  templates: z.array(ApprovedTemplate).default([]),
})
export type InboxInfo = z.infer<typeof InboxInfo>

/** The body with each {{n}} replaced by the n-th parameter; a parameter not given yet keeps its placeholder. */
export function fillTemplate(body: string, parameters: readonly string[]): string {
  return body.replace(PLACEHOLDER, (whole, n: string) => {
    const value = parameters[Number(n) - 1]
    return value !== undefined && value.trim() !== '' ? value : whole
  })
}

const label = (t: { name: string; language: string }): string => `"${t.name}" (${t.language})`

/** Why `template` may not be sent from `inbox`, or null when it is one of its approved templates, fully filled. */
export function templateProblem(inbox: string, approved: readonly ApprovedTemplate[], template: OutboundTemplate): string | null {
  if (approved.length === 0) return `no WhatsApp templates are approved for inbox "${inbox}": template ${label(template)} was not sent`
  const match = approved.find((t) => t.name === template.name && t.language === template.language)
  if (!match) {
    return `template ${label(template)} is not approved for inbox "${inbox}" (approved: ${approved.map(label).join(', ')}); it was not sent`
  }
  if (template.parameters.length !== match.parameterCount) {
    return `template ${label(template)} takes ${match.parameterCount} parameter(s), ${template.parameters.length} given; it was not sent`
  }
  const empty = template.parameters.findIndex((p) => p.trim() === '')
  if (empty >= 0) return `template ${label(template)}: parameter {{${empty + 1}}} is empty; it was not sent`
  return null
}
