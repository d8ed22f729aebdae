import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one keyUnwrapWorker next to this module: compiled, `dist/…/keyUnwrapWorker.js`; from source
 * (tests, benchmarks under tsx), the `.ts` file, with tsx registered inside the worker first, since Node 20
 * does not hand loader hooks on to workers.
 */
export function spawnKeyUnwrapWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./keyUnwrapWorker.js', here));
  const entry = new URL('./keyUnwrapWorker.ts', here).href;
  // Not import.meta.resolve (mocha's tsx loads this module as CommonJS, where it does not exist), and the
  // ESM build of tsx's API: its CommonJS build cannot register hooks inside a worker.
  const tsxPackage = createRequire(here).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true });
}
