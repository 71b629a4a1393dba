import { fillTemplate, type ApprovedTemplate } from '../../../../shared/inbox-settings'
import type { TemplateDraft } from '../../../../shared/ipc'
import { parameterContext } from './composer-fields'

const keyOf = (t: { name: string; language: string }): string => JSON.stringify([t.name, t.language])

/** The approved template a choice names, if the inbox still lists it. */
export function chosenTemplate(approved: readonly ApprovedTemplate[], choice: TemplateDraft | null): ApprovedTemplate | null {
  if (!choice) return null
  return approved.find((t) => t.name === choice.name && t.language === choice.language) ?? null
}

/**
 * WhatsApp outside the 24-hour window: a picker of the inbox's approved templates, one field
 * per body parameter, and the message as the customer will read it. `approved` is null while
 * the server has not described the inbox yet.
 */
export function TemplateFields({
  approved,
  choice,
  onChange,
}: {
  approved: readonly ApprovedTemplate[] | null
  choice: TemplateDraft | null
  onChange: (choice: TemplateDraft | null) => void
}) {
  const picked = approved ? chosenTemplate(approved, choice) : null
  const parameters = picked ? Array.from({ length: picked.parameterCount }, (_, i) => choice?.parameters[i] ?? '') : []
  const hints = picked ? parameters.map((_, i) => parameterContext(picked.body, i + 1) ?? undefined) : []
  return (
    <div className="composer-fields" role="group" aria-label="WhatsApp template">
      <span className="composer-hint">Outside the 24-hour window WhatsApp accepts only an approved template.</span>
      {approved === null ? (
        <span className="composer-hint" role="status">
          The approved templates load once the server is reached.
        </span>
      ) : approved.length === 0 ? (
        <span className="composer-error" role="status">
          No approved templates for this inbox
        </span>
      ) : (
        <>
          <label className="composer-field">
            <span>Template</span>
            <select
              value={picked ? keyOf(picked) : ''}
              onChange={(e) => {
                const next = approved.find((t) => keyOf(t) === e.target.value)
                // Parameters typed for the previous template carry over: the same values often fit.
                onChange(next ? { name: next.name, language: next.language, parameters: (choice?.parameters ?? []).slice(0, next.parameterCount) } : null)
              }}
            >
              <option value="">Choose an approved template…</option>
              {approved.map((t) => (
                <option key={keyOf(t)} value={keyOf(t)}>
                  {t.name} ({t.language})
                </option>
              ))}
            </select>
          </label>
          {picked &&
            parameters.map((value, i) => (
              <label key={i} className="composer-field">
                <span>{`Parameter ${i + 1} ({{${i + 1}}})`}</span>
                <input
                  value={value}
                  // The words around the parameter say what it is for ("Hi {{1}}, your order…").
                  placeholder={hints[i]}
                  title={hints[i]}
                  maxLength={1024}
                  aria-invalid={value.trim() === ''}
                  onChange={(e) => onChange({ name: picked.name, language: picked.language, parameters: parameters.map((p, j) => (j === i ? e.target.value : p)) })}
                />
              </label>
            ))}
          {picked && (
            <p className="template-preview" aria-label="Template preview" aria-live="polite">
              {fillTemplate(picked.body, parameters)}
            </p>
          )}
        </>
      )}
    </div>
  )
}
