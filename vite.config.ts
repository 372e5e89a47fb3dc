import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The web UI: built from web/ into dist/web, which Fastify serves at `/`. */
export default defineConfig({
  root: 'web',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // The CSP allows no inline code and only data: images, so nothing may be inlined into HTML or CSS.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
