// Builds the playground page into web/dist/: the page (web/main.ts) and the engine's Web Worker
// (web/worker.ts) bundled for the browser, the specs it offers (experiments/examples/*.json and
// labs/*/*.json, read and checked here), and the shipped traces and profiles the engine reads
// (data/, fetched on first use). The simulation code reaches files only through src/io/files.ts;
// here src/io/node-host.ts is swapped for web/browser-host.ts, and a `node:` import anywhere
// in src/ on the browser path fails the build.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src') + '/';

/** Where sobol's tables lie among the shipped files (its __dirname in the bundle). */
const SOBOL_DIR = 'vendor/sobol';

const BUILTINS = /^(node:)?(fs|fs\/promises|path|url|module|crypto|os|util|stream|buffer|events|worker_threads|child_process|perf_hooks)$/;

/** Swaps the Node host for the browser's, refuses Node built-ins in src/ and stubs them in packages (code paths the engine does not take in a browser). */
const browserHost = {
  name: 'browser-host',
  setup(b) {
    b.onResolve({ filter: /[\\/]node-host\.js$/ }, () => ({ path: join(root, 'web/browser-host.ts') }));
    // csv-parse and csv-stringify use Node's Buffer; their browser builds carry their own.
    b.onResolve({ filter: /^csv-(parse|stringify)\/sync$/ }, (args) => ({ path: join(root, 'node_modules', args.path.split('/')[0], 'dist/esm/sync.js') }));
    b.onResolve({ filter: BUILTINS }, (args) => {
      if (args.importer.startsWith(src)) return { errors: [{ text: `${relative(root, args.importer)} imports ${args.path}, which the browser lacks: go through src/io/files.ts` }] };
      return { path: args.path, namespace: 'node-stub' };
    });
    // A package's fs reads go to the host, which serves the shipped files (sobol's direction numbers among them).
    b.onLoad({ filter: /^(node:)?fs$/, namespace: 'node-stub' }, () => ({
      contents: `import { host } from ${JSON.stringify(join(root, 'src/io/files.ts'))}; export const readFileSync = (path) => host().readText(String(path)); export default { readFileSync };`,
      loader: 'js',
      resolveDir: root,
    }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Every file under the folders, relative to the repository, with its size in bytes. */
function listing(folders) {
  const files = {};
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files[path] = statSync(join(root, path)).size;
    }
  };
  for (const folder of folders) if (existsSync(join(root, folder))) walk(folder);
  return files;
}

/** The spec reader of the command-line tool, bundled for Node here, to read the offered specs as `servesim run` does. */
async function specReader() {
  // Written inside node_modules, so the bundle finds the packages it loads on first use.
  const reader = join(root, `node_modules/.cache/servesim-web/spec-reader-${process.pid}.mjs`);
  await build({
    stdin: { contents: "export { readSpecFile } from './src/experiment/spec-variants.ts'; export { validateSpec } from './src/experiment/spec-issues.ts';", resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: reader,
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    return await import(pathToFileURL(reader).href);
  } finally {
    rmSync(reader, { force: true });
  }
}

/** The specs the page offers: every example, then every lab's specs (files that are not specs, such as answer keys, are left out). */
async function catalog() {
  const { readSpecFile, validateSpec } = await specReader();
  const specs = [];
  const add = (dir, file, name) => {
    const path = join(root, dir, file);
    try {
      const raw = readSpecFile(path);
      validateSpec(structuredClone(raw), path);
      specs.push({ name, folder: dir, spec: raw });
    } catch {
      // Not a spec on its own.
    }
  };
  const jsonIn = (dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort() : []);
  const labs = existsSync(join(root, 'labs')) ? readdirSync(join(root, 'labs')).filter((d) => statSync(join(root, 'labs', d)).isDirectory()).sort() : [];
  for (const lab of labs) for (const file of jsonIn(`labs/${lab}`)) add(`labs/${lab}`, file, `labs/${lab}/${file.slice(0, -5)}`);
  for (const file of jsonIn('experiments/examples')) add('experiments/examples', file, `examples/${file.slice(0, -5)}`);
  // The default: lab 1's first spec when the labs ship, else the M/M/4 example.
  const lab1 = specs.find((s) => s.folder === 'labs/01-queueing');
  const fallback = specs.find((s) => s.name === 'examples/mm4') ?? specs[0];
  return { default: (lab1 ?? fallback).name, specs: [...specs.filter((s) => s.name.startsWith('examples/')), ...specs.filter((s) => !s.name.startsWith('examples/'))] };
}

/** Builds the page into `out` (default web/dist). */
export async function buildWeb(out = join(root, 'web/dist')) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'data'), { recursive: true });
  const files = listing(['traces', 'profiles']);
  for (const file of Object.keys(files)) cpSync(join(root, file), join(out, 'data', file));
  // sobol (the quasi-random sampler of Biathlon's approximate serving) reads its direction numbers from its own folder, __dirname.
  for (const table of ['dims161.txt', 'dims21201.txt']) {
    const file = `${SOBOL_DIR}/${table}`;
    cpSync(join(root, 'node_modules/sobol/dist', table), join(out, 'data', file));
    files[file] = statSync(join(root, 'node_modules/sobol/dist', table)).size;
  }
  const specs = await catalog();
  writeFileSync(join(out, 'specs.json'), JSON.stringify(specs));
  const common = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', logLevel: 'warning', minify: true, sourcemap: false, legalComments: 'none', plugins: [browserHost] };
  await build({ ...common, entryPoints: { worker: join(root, 'web/worker.ts') }, outdir: out, define: { SERVESIM_DATA_FILES: JSON.stringify(files), __dirname: JSON.stringify(`/servesim/${SOBOL_DIR}`) } });
  await build({ ...common, entryPoints: { main: join(root, 'web/main.ts') }, outdir: out, define: { SERVESIM_DATA_FILES: '{}', __dirname: JSON.stringify(`/servesim/${SOBOL_DIR}`) } });
  // HiGHS (the MILP solver of InfAdapter and MS+) finds its wasm next to the script that loads it: the worker.
  cpSync(join(root, 'node_modules/highs/build/highs.wasm'), join(out, 'highs.wasm'));
  cpSync(join(root, 'web/index.html'), join(out, 'index.html'));
  cpSync(join(root, 'web/style.css'), join(out, 'style.css'));
  return { out, specs: specs.specs.length, default: specs.default };
}

if (process.argv[1] === import.meta.filename) {
  const at = process.argv.indexOf('--out');
  const built = await buildWeb(at < 0 ? undefined : resolve(process.argv[at + 1]));
  console.log(`${relative(process.cwd(), built.out) || '.'}: the page, ${built.specs} specs (default ${built.default})`);
}
