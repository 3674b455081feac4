import { defineConfig } from 'vite';

export default defineConfig({
  resolve: {
    // simple-peer's package entry expects Node's `global`; its prebuilt browser bundle does not.
    // Types still come from @types/simple-peer. Node code keeps importing plain 'simple-peer'.
    // An exact match: a plain prefix alias would also rewrite the replacement itself in the dev server.
    alias: [{ find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' }],
  },
  // No source maps in the served build: they would hand out the sources (and comments) to anyone.
  build: { target: 'es2022', sourcemap: false },
  server: {
    // `npm run dev` serves the app with hot reload; the signaling WebSocket stays on `npm start`'s server
    // (SIGNALING_PORT, default 8080), reached through this proxy so the page keeps one origin.
    proxy: { '/signal': { target: `ws://127.0.0.1:${process.env.SIGNALING_PORT ?? 8080}`, ws: true } },
  },
});
