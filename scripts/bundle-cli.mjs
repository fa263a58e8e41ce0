// Bundles the CLI into one file so a command starts without resolving and loading ~60 ES
// modules one by one (about 60 ms of `dbdoctor status`). The library stays tsc's output;
// database drivers, tsx, libpg-query (its WebAssembly file sits beside it), node-sql-parser and commander's own
// dependencies are loaded as usual.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: [
    'better-sqlite3',
    'pg',
    'mysql2',
    'mysql2/*',
    'redis',
    'tsx',
    'tsx/*',
    'libpg-query',
    'node-sql-parser',
    'node-sql-parser/*',
  ],
  // Bundled CommonJS (commander) calls require(); ESM has none, so give it one.
  banner: {
    js: "import { createRequire as __dbdoctorCreateRequire } from 'node:module';\nconst require = __dbdoctorCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
