/**
 * Fills a canned response's variables. Known names are replaced; an unknown name or a value
 * the app does not have stays visible as `{{name}}`, so the agent sees what to fill in
 * rather than sending a blank.
 */
export interface CannedContext {
  customer: { name: string | null }
  agent: { name: string | null }
  conversation: { subject: string | null }
}

const VARIABLE = /\{\{\s*([a-zA-Z]+)\.([a-zA-Z]+)\s*\}\}/g

export function fillCannedVariables(body: string, context: CannedContext): string {
  return body.replace(VARIABLE, (whole, scope: string, field: string) => {
    const value = (context as unknown as Record<string, Record<string, string | null> | undefined>)[scope]?.[field]
    return typeof value === 'string' && value.trim() !== '' ? value : whole
  })
}
