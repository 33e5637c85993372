// Bundles the CLI and the library into dist/ with esbuild: one file loads far faster than hundreds
// of ES modules (start-up counts in whole-process timings). Type checking is `npm run typecheck`'s
// job; `--types` also writes the library's declarations (dist/types/), as `npm install` does.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { build } from 'esbuild';

const { metafile } = await build({
  entryPoints: { servesim: 'src/cli/main.ts', 'model-server': 'src/testbed/model-server.ts', 'run-worker': 'src/cli/run-worker.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Packages that stay in node_modules: resvg ships a binary; vega is loaded only to draw; the solvers
  // load their wasm files from their own folders (and glpk.js, GPL-3.0, is optional); sobol reads its
  // direction numbers from its own folder; DuckDB (optional) ships a native addon; tinypool
  // starts its workers from its own entry file.
  external: ['@resvg/resvg-js', 'vega', 'vega-lite', 'highs', 'glpk.js', 'onnxruntime-node', '@tensorflow/tfjs', 'sobol', '@duckdb/node-api', 'tinypool'],
  // Some bundled CommonJS packages call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});

// Chunk names carry a content hash: remove the chunks of earlier builds, which nothing loads any more.
const current = new Set(Object.keys(metafile.outputs).map((file) => basename(file)));
for (const file of readdirSync('dist')) if (file.endsWith('.js') && !current.has(file)) rmSync(`dist/${file}`);

if (process.argv.includes('--types')) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types'], { stdio: 'inherit' });
}
