import { Component, type ErrorInfo, type ReactNode } from 'react'

interface Props {
  /** What failed, as the agent would name it: "The composer", "This conversation". */
  label: string
  children?: ReactNode
}

/**
 * Keeps an error while rendering one part of the workspace to that part: without a boundary
 * React unmounts the whole window. The rest stays usable, and "Try again" renders the part
 * afresh. Nothing the agent already sent or queued is held here: actions live in the core's
 * outbox, drafts in the cache.
 */
export class PaneBoundary extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null }

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error }
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`[${this.props.label}]`, error, info.componentStack)
  }

  override render(): ReactNode {
    const { error } = this.state
    if (!error) return this.props.children
    return (
      <div className="inline-error pane-error" role="alert">
        <p>
          {this.props.label} could not be shown: {error.message}
        </p>
        <button type="button" className="button button-small" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    )
  }
}
