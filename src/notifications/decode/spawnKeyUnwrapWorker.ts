import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one keyUnwrapWorker next to this module: compiled, `dist/…/keyUnwrapWorker.js`. From source (tests,
 * benchmarks under tsx), the compiled worker of the last build when it is at least as new as the two
 * sources it runs (the worker and decryptResourceData), else the `.ts` file with tsx registered inside the
 * worker first, since Node 20 does not hand loader hooks on to workers: booting tsx costs a quarter of a
 * second of CPU per worker, and a test run starts hundreds.
 */
export function spawnKeyUnwrapWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./keyUnwrapWorker.js', here));
  const compiled = compiledWorkerOf(here);
  if (compiled) return new Worker(compiled);
  const entry = new URL('./keyUnwrapWorker.ts', here).href;
  // Not import.meta.resolve (mocha's tsx loads this module as CommonJS, where it does not exist), and the
  // ESM build of tsx's API: its CommonJS build cannot register hooks inside a worker.
  const tsxPackage = createRequire(here).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** The build's worker (tsconfig.build.json: src/ compiles to dist/src/), when no source it runs is newer. */
export function compiledWorkerOf(sourceUrl: string): URL | null {
  const sourceDir = dirname(fileURLToPath(sourceUrl));
  const compiled = new URL('../../../dist/src/notifications/decode/keyUnwrapWorker.js', sourceUrl);
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  const sources = ['keyUnwrapWorker.ts', 'decryptResourceData.ts', 'keyUnwrapProtocol.ts'].map((name) => statSync(join(sourceDir, name)).mtimeMs);
  return built > 0 && sources.every((modified) => modified <= built) ? compiled : null;
}
