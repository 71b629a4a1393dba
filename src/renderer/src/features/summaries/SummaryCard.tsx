import { useEffect, useId, useMemo, useState, type RefObject } from 'react'
import type { CustomerSummaries, SummaryView } from '../../../../shared/ipc'
import { clockTime, dayKey, fullTime, shortDate } from '../../lib/format'
import { Icon } from '../../lib/icons'
import { FactChips, type JumpToItem } from './FactChips'
import { sourceLine, stalenessText } from './facts'
import { useCustomerSummaries, useDismissRegeneration, useModelUsage, useRateSummary, useRegenerateSummary, useSourceTimes } from './queries'
import { hasRole } from '../../../../shared/roles'
import { useSession } from '../../api/queries'
import { SummaryIcon } from './summary-icons'
import './summaries.css'

const COLLAPSED_KEY = 'threadline.summaryCollapsed'

/** The timeline keeps this much height to read in (the layout test's floor), below the card and the tools' row. */
const READING_ROOM = 300
/** The tools' row under an open card, the card's margins, the row's padding and border. */
const TOOLS_ROW = 56
/** An open card is never shorter than this: a header, two lines of story and a row of chips. */
const MIN_CARD = 140

/** The height of the timeline's frame, as it changes with the window and the composer. */
function useHeight(frame: RefObject<HTMLElement | null>): number | null {
  const [height, setHeight] = useState<number | null>(null)
  useEffect(() => {
    const el = frame.current
    if (!el || typeof ResizeObserver === 'undefined') return
    const observer = new ResizeObserver(([entry]) => setHeight(entry ? Math.round(entry.contentRect.height) : null))
    observer.observe(el)
    return () => observer.disconnect()
  }, [frame])
  return height
}

/**
 * Open or collapsed: as the agent last left it in this session, whichever customer they open;
 * until they choose, open when the timeline keeps its reading room below it, else collapsed into
 * one line of the timeline's tools. Open, it takes what is left above that room.
 */
function useCardLayout(frame: RefObject<HTMLElement | null>): { collapsed: boolean; setCollapsed: (collapsed: boolean) => void; maxHeight: number | undefined } {
  const [chosen, setChosen] = useState(() => sessionStorage.getItem(COLLAPSED_KEY))
  const height = useHeight(frame)
  const room = height === null ? null : height - TOOLS_ROW - READING_ROOM
  const collapsed = chosen !== null ? chosen === '1' : room === null || room < MIN_CARD
  return {
    collapsed,
    setCollapsed: (next) => {
      const value = next ? '1' : '0'
      sessionStorage.setItem(COLLAPSED_KEY, value)
      setChosen(value)
    },
    maxHeight: room === null ? undefined : Math.max(MIN_CARD, room),
  }
}

/** "10:42" today, "12 Mar, 10:42" on another day. */
function asOf(at: number): string {
  return dayKey(at) === dayKey(Date.now()) ? clockTime(at) : `${shortDate(at)}, ${clockTime(at)}`
}

/**
 * The customer's story at the top of their timeline: what they asked, what was done or promised,
 * what is open, with its facts as chips that open the timeline where each was said. Collapsed, it
 * is one line among the timeline's tools. It reads its own query, so the timeline paints without
 * waiting for it.
 */
export function SummaryCard({
  customerId,
  timelineReady,
  onJump,
  frame,
}: {
  customerId: string
  /** The timeline's first page has answered (or failed): the card asks the core only after it. */
  timelineReady: boolean
  onJump: JumpToItem
  /** The timeline's frame, whose height decides how much of it the card may take. */
  frame: RefObject<HTMLElement | null>
}) {
  const summaries = useCustomerSummaries(customerId, timelineReady)
  const layout = useCardLayout(frame)
  const bodyId = useId()
  // Nothing until the core answers: an empty frame would only flicker.
  if (!summaries.data) return null
  const { story, regenerating } = summaries.data
  const collapsed = story ? layout.collapsed : true
  return (
    <section
      role="region"
      className={`summary-card${collapsed ? ' is-collapsed' : ''}`}
      aria-label="Customer summary"
      data-testid="summary-card"
      style={collapsed ? undefined : { maxHeight: layout.maxHeight }}
    >
      {story ? (
        <Story
          story={story}
          regenerating={regenerating}
          customerId={customerId}
          collapsed={collapsed}
          setCollapsed={layout.setCollapsed}
          bodyId={bodyId}
          timelineReady={timelineReady}
          onJump={onJump}
        />
      ) : (
        <div className="summary-head">
          <SummaryIcon name="summary" />
          <span className="summary-placeholder" title="A story of the customer is written once they have written">
            No summary yet
          </span>
          <RegenerateButton customerId={customerId} regenerating={regenerating} label="Summarize" />
        </div>
      )}
      {(!story || !collapsed) && <RegenerateProblem customerId={customerId} regenerating={regenerating} />}
    </section>
  )
}

function Story({
  story,
  regenerating,
  customerId,
  collapsed,
  setCollapsed,
  bodyId,
  timelineReady,
  onJump,
}: {
  story: SummaryView
  regenerating: CustomerSummaries['regenerating']
  customerId: string
  collapsed: boolean
  setCollapsed: (collapsed: boolean) => void
  bodyId: string
  timelineReady: boolean
  onJump: JumpToItem
}) {
  const cited = useMemo(() => story.facts.flatMap((f) => f.sourceIds), [story.facts])
  const sources = useSourceTimes(customerId, cited, timelineReady && !collapsed)
  const stale = stalenessText(story.staleness)
  return (
    <>
      <div className="summary-head">
        <button
          type="button"
          className="summary-toggle"
          aria-expanded={!collapsed}
          aria-controls={bodyId}
          onClick={() => setCollapsed(!collapsed)}
          title={collapsed ? 'Show the summary' : 'Hide the summary'}
        >
          <span className="summary-chevron">
            <SummaryIcon name="chevron" size={12} />
          </span>
          <SummaryIcon name="summary" />
          {/* Collapsed, the story's first words say what it is. */}
          <span className={collapsed ? 'visually-hidden' : 'summary-title'}>Summary</span>
        </button>
        {collapsed && (
          <span className="summary-preview" title={`${story.text}\n(as of ${fullTime(story.coversThrough)})`}>
            {story.text}
          </span>
        )}
        {collapsed ? (
          stale && <StaleMarker story={story} text={stale} />
        ) : (
          <span className="summary-asof" data-testid="summary-asof" title={`Covers everything up to ${fullTime(story.coversThrough)}`}>
            as of {asOf(story.coversThrough)}
            {stale && (
              <>
                {' · '}
                <StaleMarker story={story} text={stale} />
              </>
            )}
          </span>
        )}
        {!collapsed && (
          <span className="summary-actions">
            <Rating story={story} customerId={customerId} />
            <RegenerateButton customerId={customerId} regenerating={regenerating} label="Regenerate" />
          </span>
        )}
      </div>
      {!collapsed && (
        <div className="summary-body" id={bodyId}>
          <p className="summary-text">{story.text}</p>
          <FactChips facts={story.facts} times={sources.times} locate={sources.locate} onJump={onJump} />
          <p className="summary-foot">
            <span data-testid="summary-source">{sourceLine(story)}</span>
            {story.updatedOnDevice && (
              <span className="summary-device" data-testid="summary-device" title="Written by this device from what it holds, while the server could not be asked">
                Updated on this device
              </span>
            )}
            <ModelUsage story={story} />
          </p>
        </div>
      )}
    </>
  )
}

/** A supervisor reading a story a model wrote (or should have) sees what the model cost today. */
function ModelUsage({ story }: { story: SummaryView }) {
  const session = useSession()
  const supervisor = session.data ? hasRole(session.data.user, 'supervisor') : false
  const usage = useModelUsage(supervisor && (story.provider === 'model' || story.fallbackReason !== null))
  if (!usage.data) return null
  const u = usage.data
  const tokens = u.promptTokens + u.completionTokens
  return (
    <span className="summary-usage" data-testid="summary-usage" title={`Summary model use on ${u.day} (UTC)`}>
      Model today: {u.requests.toLocaleString()} {u.requests === 1 ? 'request' : 'requests'} · {tokens.toLocaleString()} tokens · {u.failures.toLocaleString()}{' '}
      {u.failures === 1 ? 'failure' : 'failures'} · {u.fallbacks.toLocaleString()} {u.fallbacks === 1 ? 'fallback' : 'fallbacks'}
    </span>
  )
}

function StaleMarker({ story, text }: { story: SummaryView; text: string }) {
  return (
    <span className="summary-stale" data-testid="summary-stale" title={story.staleness.newestAt ? `The newest at ${fullTime(story.staleness.newestAt)}` : undefined}>
      {text}
    </span>
  )
}

const THUMBS = [
  { rating: 'up', label: 'Helpful', title: 'This summary is helpful', icon: 'thumbUp' },
  { rating: 'down', label: 'Not helpful', title: 'This summary is wrong or unhelpful', icon: 'thumbDown' },
] as const

function Rating({ story, customerId }: { story: SummaryView; customerId: string }) {
  const rate = useRateSummary(customerId)
  const shown = rate.isPending ? rate.variables.rating : story.myRating
  // The server judges the versions it wrote; one written here is rated once the server's arrives.
  const unrated = story.updatedOnDevice ? 'Written on this device: rate the server’s version once it arrives' : null
  const send = (rating: 'up' | 'down') => {
    if (shown !== rating) rate.mutate({ summaryId: story.id, generatedAt: story.generatedAt, rating })
  }
  return (
    <span className="summary-rating" role="group" aria-label="Rate this summary">
      {THUMBS.map((thumb) => (
        <button
          key={thumb.rating}
          type="button"
          className="summary-icon-button"
          aria-pressed={shown === thumb.rating}
          aria-label={thumb.label}
          title={unrated ?? thumb.title}
          disabled={!!unrated}
          onClick={() => send(thumb.rating)}
        >
          <SummaryIcon name={thumb.icon} />
        </button>
      ))}
      {rate.isError && (
        <span className="summary-refusal" role="alert">
          {rate.error.message}
        </span>
      )}
    </span>
  )
}

function RegenerateButton({ customerId, regenerating, label }: { customerId: string; regenerating: CustomerSummaries['regenerating']; label: string }) {
  const regenerate = useRegenerateSummary(customerId)
  const waiting = regenerate.isPending || regenerating?.state === 'pending'
  return (
    <>
      <button
        type="button"
        className="button button-quiet summary-regenerate"
        onClick={() => regenerate.mutate()}
        disabled={waiting}
        aria-busy={waiting}
        title={waiting ? 'Waiting for the new summary' : 'Write the summary afresh from the whole history'}
      >
        <Icon name="sync" size={13} />
        {waiting ? 'Regenerating…' : label}
      </button>
      {regenerate.isError && (
        <span className="summary-refusal" role="alert">
          {regenerate.error.message}
        </span>
      )}
    </>
  )
}

/** A regeneration the server refused (a cooldown, a limit): its reason, until dismissed. */
function RegenerateProblem({ customerId, regenerating }: { customerId: string; regenerating: CustomerSummaries['regenerating'] }) {
  const dismiss = useDismissRegeneration(customerId)
  if (regenerating?.state !== 'failed') return null
  return (
    <p className="summary-problem" role="alert">
      <span>Could not regenerate: {regenerating.error ?? 'the server refused'}</span>
      <button type="button" className="link-button" onClick={() => dismiss.mutate(regenerating.mutationId)} disabled={dismiss.isPending}>
        Dismiss
      </button>
    </p>
  )
}
