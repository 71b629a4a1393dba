// @vitest-environment jsdom
import { act, createElement } from 'react'
import { createRoot } from 'react-dom/client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PaneBoundary } from './PaneBoundary'

/** A part of the screen that fails to render while `broken.now` is set. */
const broken = { now: true }
function Flaky() {
  if (broken.now) throw new Error('the view is not mounted yet')
  return createElement('p', null, 'composer ready')
}

describe('PaneBoundary', () => {
  let host: HTMLElement
  beforeEach(() => {
    ;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
    host = document.createElement('div')
    document.body.append(host)
    broken.now = true
    // React reports caught errors on the console; the test reads the screen instead.
    vi.spyOn(console, 'error').mockImplementation(() => {})
  })
  afterEach(() => {
    host.remove()
    vi.restoreAllMocks()
  })

  it('shows what failed beside the parts that still work, and renders the part again on Try again', async () => {
    const root = createRoot(host)
    await act(async () => {
      root.render(
        createElement('main', null, createElement('h1', null, 'Inbox'), createElement(PaneBoundary, { label: 'The composer' }, createElement(Flaky))),
      )
    })
    expect(host.querySelector('h1')?.textContent).toBe('Inbox')
    expect(host.querySelector('[role="alert"]')?.textContent).toContain('The composer could not be shown: the view is not mounted yet')

    broken.now = false
    await act(async () => {
      host.querySelector('button')?.click()
    })
    expect(host.querySelector('[role="alert"]')).toBeNull()
    expect(host.textContent).toContain('composer ready')
    await act(async () => root.unmount())
  })
})
