import { useState, type FormEvent } from 'react'
import type { SessionState, SignInResult } from '../../../../shared/ipc'
import { useSignIn } from './session'
import './sign-in.css'

type SignedOut = Extract<SessionState, { status: 'signed-out' }>

/** Server address, email and password; every refusal explained in words next to the form. */
export function SignInScreen({ state }: { state: SignedOut }) {
  const [serverUrl, setServerUrl] = useState(state.serverUrl ?? '')
  const [email, setEmail] = useState(state.email ?? '')
  const [password, setPassword] = useState('')
  const [failure, setFailure] = useState<Extract<SignInResult, { ok: false }> | null>(null)
  const signIn = useSignIn()

  function submit(event: FormEvent, discardOtherUsersActions = false): void {
    event.preventDefault()
    setFailure(null)
    signIn.mutate(
      { serverUrl, email, password, discardOtherUsersActions },
      {
        onSuccess: (result) => {
          if (!result.ok) setFailure(result)
        },
        onError: (err) => setFailure({ ok: false, reason: 'invalid', message: err.message }),
      },
    )
  }

  const busy = signIn.isPending
  return (
    <main className="sign-in">
      <form className="sign-in-card" onSubmit={(e) => submit(e)} aria-labelledby="sign-in-title" noValidate>
        <div className="sign-in-brand">
          <span className="brand-mark" aria-hidden="true">
            T
          </span>
          <h1 id="sign-in-title">Sign in to Threadline</h1>
        </div>
        {state.reason && (
          <p className="sign-in-notice" role="status">
            {state.reason}
          </p>
        )}
        {state.pendingActions > 0 && (
          <p className="sign-in-hint">
            {state.pendingActions} action{state.pendingActions === 1 ? '' : 's'} on this device have not reached the server yet; they
            are sent once you sign in again as the same user.
          </p>
        )}
        <label className="sign-in-field">
          <span>Server address</span>
          <input
            type="url"
            name="server"
            autoComplete="url"
            placeholder="https://support.example.com"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.target.value)}
            required
          />
        </label>
        <label className="sign-in-field">
          <span>Email</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoFocus={Boolean(state.serverUrl)}
            required
          />
        </label>
        <label className="sign-in-field">
          <span>Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        {failure && (
          <div className="sign-in-error" role="alert">
            <p>{failure.message}</p>
            {failure.reason === 'other_users_actions' && (
              <button type="button" className="button" disabled={busy} onClick={(e) => submit(e, true)}>
                Discard them and sign in
              </button>
            )}
          </div>
        )}
        <button type="submit" className="button button-primary sign-in-submit" disabled={busy || !serverUrl.trim() || !email.trim() || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
