/**
 * A mocha global fixture (.mocharc.json `require`): before any test file runs, Herald is compiled the way
 * `npm start` compiles it (scripts/buildIfChanged.mjs: tsc into dist/ and the page bundles into
 * public/build/, skipped when nothing changed). Tests that start Herald as a process run that compiled
 * entry point, dist/bin/herald.js: what production runs, and without transpiling on every start.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function mochaGlobalSetup(): void {
  const build = spawnSync(process.execPath, ['scripts/buildIfChanged.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Compiling Herald for the tests failed (node scripts/buildIfChanged.mjs):\n${build.stdout}${build.stderr}`);
}
