import { defineConfig } from 'vite';

export default defineConfig({
  resolve: {
    // simple-peer's package entry expects Node's `global`; its prebuilt browser bundle does not.
    // Types still come from @types/simple-peer. Node code keeps importing plain 'simple-peer'.
    alias: { 'simple-peer': 'simple-peer/simplepeer.min.js' },
  },
  build: { target: 'es2022', sourcemap: true },
});
