import type { HighlightedText } from '../../../../shared/ipc'

/** Search output with the matched words marked; plain text only, never HTML. */
export function Highlighted({ parts }: { parts: HighlightedText }) {
  return (
    <>
      {parts.map((part, i) =>
        part.match ? (
          <mark key={i} className="hit">
            {part.text}
          </mark>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  )
}
