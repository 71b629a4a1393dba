/**
 * Fills a canned response's placeholders. Known names are replaced; an unknown name or a value
 * the app does not have stays visible as `{{name}}`, and a reply still holding one cannot be
 * sent (see unfilledPlaceholders), so the customer never reads a placeholder.
 */
export interface CannedContext {
  customer: { name: string | null }
  agent: { name: string | null }
  conversation: { subject: string | null; inbox: string | null }
}

const VARIABLE = /\{\{\s*([a-zA-Z]+)\.([a-zA-Z]+)\s*\}\}/g
/** Anything written as a placeholder, known or not. */
const PLACEHOLDER = /\{\{[^{}\n]{0,100}\}\}/g

const firstName = (name: string | null): string | null => name?.trim().split(/\s+/)[0] ?? null

/** Every value a canned response may name: `customer.firstName`, `conversation.inbox`, … */
function values(context: CannedContext): Record<string, Record<string, string | null>> {
  return {
    customer: { name: context.customer.name, fullName: context.customer.name, firstName: firstName(context.customer.name) },
    agent: { name: context.agent.name, fullName: context.agent.name, firstName: firstName(context.agent.name) },
    conversation: { subject: context.conversation.subject, inbox: context.conversation.inbox },
  }
}

export function fillCannedVariables(body: string, context: CannedContext): string {
  const known = values(context)
  return body.replace(VARIABLE, (whole, scope: string, field: string) => {
    const value = known[scope]?.[field]
    return typeof value === 'string' && value.trim() !== '' ? value : whole
  })
}

/** The placeholders still in a reply, each once, in order: sending it would show them to the customer. */
export function unfilledPlaceholders(text: string): string[] {
  return [...new Set(text.match(PLACEHOLDER) ?? [])]
}
