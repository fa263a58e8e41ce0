// Bundles the CLI into one file so a command starts without resolving and loading ~60 ES
// modules one by one (about 60 ms of `dbdoctor status`). The library stays tsc's output;
// database drivers, tsx, libpg-query (its WebAssembly file sits beside it), node-sql-parser and commander's own
// dependencies are loaded as usual.
//
// zod (800 KB, nearly half of the bundle) checks the config file only, so it is bundled into a
// file of its own, dist/cli/zod.js, loaded when there is a config file to check: every command
// without one would otherwise compile it for nothing (about 15 ms). Marking zod external would
// not do: esbuild hoists an external import to the top of the bundle, where it loads at start.
// Instead `zod` resolves, in the CLI bundle only, to a module that imports ./zod.js with a
// top-level await; esbuild then initialises the config checker (imported with `await
// import()`) asynchronously, after zod has loaded. (Code splitting also keeps zod out, but
// loads some twenty chunks at start, which costs more than it saves.)
import { build } from 'esbuild';

const NODE = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' };

await build({
  ...NODE,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/main.js',
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
  plugins: [
    {
      name: 'zod-on-demand',
      setup(b) {
        b.onResolve({ filter: /^zod$/ }, () => ({ path: 'zod', namespace: 'zod-on-demand' }));
        b.onResolve({ filter: /^\.\/zod\.js$/, namespace: 'zod-on-demand' }, (a) => ({
          path: a.path,
          external: true,
        }));
        b.onLoad({ filter: /.*/, namespace: 'zod-on-demand' }, () => ({
          contents: "const zod = await import('./zod.js');\nexport const z = zod.z;\n",
          loader: 'js',
        }));
      },
    },
  ],
  // Bundled CommonJS (commander) calls require(); ESM has none, so give it one.
  banner: {
    js: "import { createRequire as __dbdoctorCreateRequire } from 'node:module';\nconst require = __dbdoctorCreateRequire(import.meta.url);",
  },
});

await build({
  ...NODE,
  stdin: { contents: "export { z } from 'zod';", resolveDir: import.meta.dirname, loader: 'js' },
  outfile: 'dist/cli/zod.js',
});
