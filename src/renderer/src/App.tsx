import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { INITIAL_FILTER, useInboxCounts, useLiveUpdates, useSession, type InboxFilter } from './api/queries'
import { hasRole, isAdmin } from '../../shared/roles'
import { LazyAdminScreen } from './features/admin/LazyAdminScreen'
import { LazyDashboardScreen } from './features/dashboards/LazyDashboardScreen'
import type { HostLink, HostLinkState } from './api/websocket-api'
import { InboxList, type InboxNav, type Selection } from './features/inbox/InboxList'
import { Sidebar } from './features/layout/Sidebar'
import { useDetailsDrawer } from './features/layout/use-details-drawer'
import { CommandPalette, type PaletteAction } from './features/palette/CommandPalette'
import { NO_FILTERS, SearchPanel, type SearchFilters } from './features/search/SearchPanel'
import { preloadComposer } from './features/composer/LazyComposer'
import { CustomerPanel } from './features/customer/CustomerPanel'
import { PRIORITY_CHOICES, PRIORITY_LABELS } from './features/inbox/priority'
import { MentionsPanel } from './features/mentions/MentionsPanel'
import { useAwayReporter } from './features/presence/use-away-reporter'
import { DesktopNotifications } from './features/notifications/DesktopNotifications'
import { CommandsProvider, useCommands } from './features/shortcuts/commands'
import { isTyping } from './features/shortcuts/shortcuts'
import { ShortcutsDialog } from './features/shortcuts/ShortcutsDialog'
import { SessionGate } from './features/sign-in/SessionGate'
import { useSignOut } from './features/sign-in/session'
import { SyncBanner } from './features/sync/SyncBanner'
import { CustomerPane } from './features/timeline/CustomerPane'
import { usePrefetchCustomer } from './features/timeline/use-timeline-pages'
import { Icon } from './lib/icons'
import { PaneBoundary } from './lib/PaneBoundary'

function useHostLinkState(link: HostLink | null): HostLinkState | null {
  return useSyncExternalStore(
    (notify) => (link ? link.onState(notify) : () => {}),
    () => (link ? link.state() : null),
  )
}

export function App({ hostLink }: { hostLink: HostLink | null }) {
  return (
    <CommandsProvider>
      <SessionGate>
        <Workspace hostLink={hostLink} />
      </SessionGate>
    </CommandsProvider>
  )
}

/** The agent's unread count in the window title and, where the host has one, the app badge. */
function useUnreadBadge(): void {
  const counts = useInboxCounts(null)
  const unread = counts.data?.mineUnread ?? 0
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Threadline` : 'Threadline'
    const nav = navigator as Navigator & { setAppBadge?(n: number): Promise<void>; clearAppBadge?(): Promise<void> }
    if (unread > 0) void nav.setAppBadge?.(unread).catch(() => {})
    else void nav.clearAppBadge?.().catch(() => {})
  }, [unread])
}

/** Loads the editor's code once the first screen is up and the page is idle. */
function usePreloadedComposer(): void {
  useEffect(() => {
    const id = requestIdleCallback(preloadComposer, { timeout: 2_000 })
    return () => cancelIdleCallback(id)
  }, [])
}

/** What fills the workspace: the inbox with a conversation, or one of the full screens. */
type Screen = 'inbox' | 'admin' | 'dashboards'

function Workspace({ hostLink }: { hostLink: HostLink | null }) {
  useLiveUpdates()
  useAwayReporter()
  useUnreadBadge()
  usePreloadedComposer()
  const linkState = useHostLinkState(hostLink)
  const [filter, setFilter] = useState<InboxFilter>(INITIAL_FILTER)
  const [selection, setSelection] = useState<Selection | null>(null)
  const prefetchCustomer = usePrefetchCustomer()
  const [searchText, setSearchText] = useState('')
  const [searchFilters, setSearchFilters] = useState<SearchFilters>(NO_FILTERS)
  const [dialog, setDialog] = useState<'palette' | 'shortcuts' | null>(null)
  const inboxNav = useRef<InboxNav | null>(null)
  const searchInput = useRef<HTMLInputElement>(null)
  const commands = useCommands()
  const signOut = useSignOut()
  const session = useSession()
  const admin = session.data ? isAdmin(session.data.user) : false
  const supervisor = session.data ? hasRole(session.data.user, 'supervisor') : false
  const [screen, setScreen] = useState<Screen>('inbox')
  const [mentionsOpen, setMentionsOpen] = useState(false)
  const details = useDetailsDrawer()
  const searching = searchText.trim().length > 0

  // Wherever a conversation is opened from (a dashboard, a notification, the palette), it opens in the inbox screen.
  function open(next: Selection): void {
    prefetchCustomer(next.customerId)
    setSelection(next)
    setScreen('inbox')
  }

  function showView(next: Partial<InboxFilter>): void {
    setScreen('inbox')
    setMentionsOpen(false)
    setSearchText('')
    setFilter({ ...filter, view: 'all', team: null, channel: null, savedView: null, ...next })
    setTimeout(() => inboxNav.current?.focus())
  }

  const paletteActions: PaletteAction[] = [
    { id: 'reply', label: 'Reply', icon: 'send', hint: 'R', run: () => commands.current.reply?.() },
    { id: 'note', label: 'Add an internal note', icon: 'note', hint: 'N', run: () => commands.current.note?.() },
    { id: 'assign', label: 'Assign…', icon: 'user', hint: 'A', run: () => commands.current.assign?.() },
    { id: 'assign-me', label: 'Assign to me', icon: 'user', run: () => commands.current.assignToMe?.() },
    { id: 'resolve', label: 'Resolve', icon: 'resolve', hint: 'E', run: () => commands.current.resolve?.() },
    { id: 'reopen', label: 'Reopen', icon: 'reopen', run: () => commands.current.reopen?.() },
    { id: 'snooze', label: 'Snooze…', icon: 'clock', hint: 'S', run: () => commands.current.snooze?.() },
    { id: 'unread', label: 'Mark unread', icon: 'inbox', hint: 'U', run: () => commands.current.markUnread?.() },
    { id: 'new-conversation', label: 'New conversation with this customer…', icon: 'send', run: () => commands.current.newConversation?.() },
    ...PRIORITY_CHOICES.map((priority) => ({
      id: `priority-${priority}`,
      label: `Set priority: ${PRIORITY_LABELS[priority]}`,
      icon: 'alert' as const,
      run: () => commands.current.setPriority?.(priority),
    })),
    { id: 'sort-priority', label: 'Sort the inbox by priority', icon: 'inbox', run: () => showView({ ...filter, sort: 'priority' }) },
    { id: 'mine', label: 'Go to Assigned to me', icon: 'user', run: () => showView({ view: 'mine' }) },
    { id: 'unassigned', label: 'Go to Unassigned', icon: 'unassigned', run: () => showView({ view: 'unassigned' }) },
    { id: 'all', label: 'Go to All conversations', icon: 'inbox', run: () => showView({ view: 'all' }) },
    { id: 'mentions', label: 'Go to Mentions', icon: 'note', run: () => showMentions() },
    { id: 'search', label: 'Search messages, notes and customers', icon: 'search', hint: '/', run: () => searchInput.current?.focus() },
    { id: 'shortcuts', label: 'Show keyboard shortcuts', icon: 'help', hint: '?', run: () => setDialog('shortcuts') },
    ...(supervisor ? [{ id: 'dashboards', label: 'Go to Dashboards', icon: 'chart' as const, hint: 'G D', run: () => setScreen('dashboards') }] : []),
    ...(admin ? [{ id: 'admin', label: 'Administration: users, tokens, integrations', icon: 'user' as const, run: () => setScreen('admin') }] : []),
    { id: 'sign-out', label: 'Sign out', icon: 'user', run: () => signOut.mutate() },
  ]

  function showInbox(): void {
    setScreen('inbox')
    setTimeout(() => inboxNav.current?.focus())
  }

  function showMentions(): void {
    setScreen('inbox')
    setSearchText('')
    setMentionsOpen(true)
  }

  // Shortcuts listen on the window, but never while the agent types or a dialog is open.
  const pendingG = useRef(false)
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent): void {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault()
        setDialog((d) => (d === 'palette' ? null : 'palette'))
        return
      }
      if (dialog || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return
      if (isTyping(event.target)) return
      const inList = event.target instanceof HTMLElement && event.target.closest('[role="listbox"]') !== null
      const key = event.key
      if (pendingG.current) {
        pendingG.current = false
        if (key === 'i') {
          event.preventDefault()
          setSearchText('')
          showInbox()
          return
        }
        if (key === 'd' && supervisor) {
          event.preventDefault()
          setScreen('dashboards')
          return
        }
      }
      const act = (fn: (() => void) | undefined) => {
        event.preventDefault()
        fn?.()
      }
      switch (key) {
        case 'j':
          return act(() => inboxNav.current?.move(1))
        case 'k':
          return act(() => inboxNav.current?.move(-1))
        case 'ArrowDown':
          return inList ? undefined : act(() => inboxNav.current?.move(1))
        case 'ArrowUp':
          return inList ? undefined : act(() => inboxNav.current?.move(-1))
        case '/':
          return act(() => searchInput.current?.focus())
        case '?':
          return act(() => setDialog('shortcuts'))
        case 'g':
          pendingG.current = true
          return
        case 'r':
          return act(commands.current.reply)
        case 'n':
          return act(commands.current.note)
        case 'a':
          return act(commands.current.assign)
        case 'e':
          return act(commands.current.resolve)
        case 's':
          return act(commands.current.snooze)
        case 'u':
          return act(commands.current.markUnread)
        case 'x':
        case 'X':
          return act(() => inboxNav.current?.check(event.shiftKey))
        case 'i':
          return details.narrow ? act(details.toggle) : undefined
        case 'Escape':
          return details.open ? act(details.close) : undefined
      }
    }
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }, [dialog, commands, details, supervisor])

  return (
    <div className="app">
      <Sidebar
        filter={filter}
        onChange={(f) => showView(f)}
        onAdminister={admin ? () => setScreen('admin') : undefined}
        mentionsOpen={mentionsOpen}
        onMentions={showMentions}
        dashboardsOpen={screen === 'dashboards' && supervisor}
        onDashboards={supervisor ? () => setScreen('dashboards') : undefined}
      />
      <main className="workspace">
        <SyncBanner hostLink={linkState} />
        <DesktopNotifications onOpen={open} />
        {screen === 'admin' && admin ? (
          <PaneBoundary label="Administration">
            <LazyAdminScreen onClose={() => setScreen('inbox')} />
          </PaneBoundary>
        ) : screen === 'dashboards' && supervisor ? (
          <PaneBoundary label="Dashboards">
            <LazyDashboardScreen
              onOpenConversation={({ customerId, conversationId }) => open({ customerId, conversationId })}
              onClose={showInbox}
            />
          </PaneBoundary>
        ) : (
          <div className="panes">
            <div className="inbox-column">
              <div className="search-box" role="search">
                <Icon name="search" />
                <input
                  ref={searchInput}
                  type="search"
                  aria-label="Search messages, notes and customers"
                  placeholder="Search messages, notes, customers…"
                  value={searchText}
                  onChange={(e) => setSearchText(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') {
                      setSearchText('')
                      inboxNav.current?.focus()
                    } else if (e.key === 'ArrowDown' || e.key === 'Enter') {
                      e.preventDefault()
                      document.querySelector<HTMLElement>('.search-results')?.focus()
                    }
                  }}
                />
                <kbd className="search-kbd" aria-hidden="true">
                  /
                </kbd>
              </div>
              {searching ? (
                <PaneBoundary label="Search">
                  <SearchPanel text={searchText.trim()} filters={searchFilters} onFiltersChange={setSearchFilters} onOpen={open} />
                </PaneBoundary>
              ) : mentionsOpen ? (
                <PaneBoundary label="Mentions">
                  <MentionsPanel onOpen={open} />
                </PaneBoundary>
              ) : (
                <PaneBoundary label="The inbox">
                  <InboxList
                    filter={filter}
                    selected={selection}
                    onSelect={open}
                    onSortChange={(sort) => setFilter({ ...filter, sort })}
                    navRef={inboxNav}
                  />
                </PaneBoundary>
              )}
            </div>
            <PaneBoundary key={selection?.conversationId ?? 'none'} label="This conversation">
              <CustomerPane
                selection={selection}
                details={details}
                panel={
                  selection && (
                    <PaneBoundary key={selection.customerId} label="The customer's details">
                      <CustomerPanel customerId={selection.customerId} onOpen={open} />
                    </PaneBoundary>
                  )
                }
              />
            </PaneBoundary>
          </div>
        )}
      </main>
      {dialog === 'palette' && <CommandPalette actions={paletteActions} onOpen={open} onClose={() => setDialog(null)} />}
      {dialog === 'shortcuts' && <ShortcutsDialog onClose={() => setDialog(null)} />}
    </div>
  )
}

export function MissingToken() {
  return (
    <main className="missing-token">
      <h1>Open Threadline from its link</h1>
      <p>
        This page needs the access link printed by <code>npm start</code> or <code>npm run host</code> (it ends in{' '}
        <code>#token=…</code>). Open that link in this browser.
      </p>
    </main>
  )
}
