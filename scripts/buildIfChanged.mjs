// npm start's build step: compiles Herald (tsc → dist/) and bundles the pages (web/ → public/build/) only
// when what they are built from changed since the last build, so a restart with nothing changed starts at
// once. "Changed" is decided on content (a hash of every input), not on times, which a checkout or a copy
// rewrites. `npm run build` always builds.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const STAMP = join(root, 'dist', '.build-inputs');
/** What the build reads: the sources it compiles and bundles, and what decides how. */
const INPUT_DIRS = ['src', 'sim', 'bin', 'web'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/buildWeb.mjs', 'scripts/buildIfChanged.mjs'];
/** What the build writes, all of which must be there to skip it. */
const OUTPUTS = ['dist/bin/herald.js', 'public/build'];

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

function inputsHash() {
  const files = [...INPUT_DIRS.flatMap((dir) => filesUnder(join(root, dir))), ...INPUT_FILES.map((file) => join(root, file)).filter((file) => existsSync(file))]
    .map((file) => relative(root, file))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) hash.update(file).update('\0').update(readFileSync(join(root, file))).update('\0');
  return hash.digest('hex');
}

const wanted = inputsHash();
const built = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : null;
if (built === wanted && OUTPUTS.every((output) => existsSync(join(root, output)))) {
  process.stdout.write('Herald is already compiled: nothing changed since the last build.\n');
  process.exit(0);
}

process.stdout.write(
  built === null
    ? 'Compiling Herald before it starts (the first time: about a minute on a 2-core machine)...\n'
    : 'Compiling Herald: its sources changed since the last build...\n',
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${wanted}\n`);
