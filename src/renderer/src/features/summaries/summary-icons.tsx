import type { FactKind } from '../../../../shared/domain'

/** The summaries' own glyphs, drawn like lib/icons (24-unit box, 1.8 stroke). */
const PATHS = {
  request: 'M4 5h16v11H9l-5 4V5Zm8 3.5v3m0 2.5h.01',
  promise: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm-4-9 3 3 5-6',
  identifier: 'M10 4 8 20M16 4l-2 16M4.5 9h15M4 15h15',
  amount: 'M12 3v18M16.5 7.5C16.5 6 14.5 5 12 5S7.5 6 7.5 8s2 2.7 4.5 3.2 4.5 1.3 4.5 3.3-2 3-4.5 3-4.5-1-4.5-2.5',
  date: 'M4 6h16v14H4V6Zm0 4h16M8 3v4M16 3v4',
  preference: 'M12 3.5l2.6 5.3 5.9.9-4.3 4.1 1 5.8L12 16.9l-5.2 2.7 1-5.8-4.3-4.1 5.9-.9L12 3.5Z',
  open_question: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm-2.5-11.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6v.6m0 3h.01',
  sentiment: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18ZM8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01',
  summary: 'M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8L12 3Zm6.5 11 .8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8.8-2.2Z',
  thumbUp: 'M7 10v10H4V10h3Zm0 0 4-6.5a1.8 1.8 0 0 1 3.2 1.5L13.3 9H19a2 2 0 0 1 2 2.4l-1.4 6.8A2 2 0 0 1 17.6 20H7',
  thumbDown: 'M17 14V4h3v10h-3Zm0 0-4 6.5a1.8 1.8 0 0 1-3.2-1.5l.9-4H5a2 2 0 0 1-2-2.4l1.4-6.8A2 2 0 0 1 6.4 4H17',
  chevron: 'M6 9l6 6 6-6',
} as const satisfies Record<FactKind | string, string>

export type SummaryGlyph = keyof typeof PATHS

/** The same frame as lib/icons' Icon, which takes only its own names. */
const FRAME = {
  className: 'icon',
  viewBox: '0 0 24 24',
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 1.8,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
  'aria-hidden': true,
} as const

export function SummaryIcon({ name, size = 14 }: { name: SummaryGlyph; size?: number }) {
  return (
    <svg {...FRAME} width={size} height={size}>
      <path d={PATHS[name]} />
    </svg>
  )
}
