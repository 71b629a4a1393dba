import { resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'electron-vite'

export default defineConfig({
  main: {
    build: {
      // better-sqlite3 is a native addon: it must be loaded from node_modules (or the
      // Electron-ABI build in .electron-native/), never bundled.
      externalizeDeps: { include: ['better-sqlite3'] },
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // The client core runs in its own utility process, off Electron's main thread.
          core: resolve(__dirname, 'src/core/process.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require only 'electron': bundle everything it uses
      // (the shared IPC contract and zod) into one CommonJS file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    resolve: {
      alias: { '@renderer': resolve(__dirname, 'src/renderer/src') },
    },
    plugins: [react()],
    // Output goes to out/renderer (electron-vite's default, which also honours --outDir);
    // the browser host serves it over HTTP, so it is worth minifying.
    build: { minify: true, chunkSizeWarningLimit: 1_500 },
  },
})
