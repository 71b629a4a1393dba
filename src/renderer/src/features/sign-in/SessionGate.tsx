import type { ReactNode } from 'react'
import { useSessionState } from './session'
import { SignInScreen } from './SignInScreen'

/** The workspace while signed in; the sign-in screen otherwise (also after the server refused the token). */
export function SessionGate({ children }: { children: ReactNode }) {
  const session = useSessionState()
  if (session.isError) {
    return (
      <main className="sign-in">
        <p className="sign-in-card" role="alert">
          The app cannot reach its core: {session.error.message}
        </p>
      </main>
    )
  }
  if (!session.data) return null
  if (session.data.status === 'signed-out') return <SignInScreen state={session.data} />
  return children
}
