import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App, MissingToken } from './App'
import { ApiProvider } from './api/context'
import { prefetchFirstScreen } from './api/queries'
import { connect } from './api/threadline'
import './styles/app.css'

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // The core is local and pushes `data.changed`: refetch on those events, not on focus.
      refetchOnWindowFocus: false,
      staleTime: 30_000,
      retry: 1,
    },
  },
})

const root = createRoot(document.getElementById('root') as HTMLElement)
const connection = connect()
if (connection.kind !== 'missing-token') prefetchFirstScreen(queryClient, connection.api)

root.render(
  <StrictMode>
    {connection.kind === 'missing-token' ? (
      <MissingToken />
    ) : (
      <ApiProvider api={connection.api}>
        <QueryClientProvider client={queryClient}>
          <App hostLink={connection.kind === 'host' ? connection.link : null} />
        </QueryClientProvider>
      </ApiProvider>
    )}
  </StrictMode>,
)
