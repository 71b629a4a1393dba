import { createContext, useContext, type ReactNode } from 'react'
import type { ThreadlineApi } from '../../../shared/ipc'

const ApiContext = createContext<ThreadlineApi | null>(null)

export function ApiProvider({ api, children }: { api: ThreadlineApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>
}

export function useApi(): ThreadlineApi {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi needs an <ApiProvider>')
  return api
}
