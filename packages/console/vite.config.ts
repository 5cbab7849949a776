import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Served by Portico at /console/ (packages/portico/src/console/static-routes.ts): hashed assets
// under assets/, no inline script (the CSP forbids it), everything bundled (no CDN).
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
});
