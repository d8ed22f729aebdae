import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { engines?: { node?: string }; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const pkg = readJson(join(ROOT, 'package.json'));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

type Version = [number, number, number];
const parse = (text: string): Version => {
  const [major = 0, minor = 0, patch = 0] = text.trim().replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether an npm `engines.node` range admits `version`, for the forms our dependencies use (>=, ^, a bare major or N.x, ||). */
function admits(range: string, version: Version): boolean {
  return range.split('||').some((part) => {
    const term = part.trim();
    if (term.startsWith('>=')) return compare(version, parse(term.slice(2))) >= 0;
    if (term.startsWith('^')) {
      const floor = parse(term.slice(1));
      return version[0] === floor[0] && compare(version, floor) >= 0;
    }
    if (/^\d+(\.x)?$/.test(term)) return version[0] === Number.parseInt(term, 10);
    throw new Error(`range form not understood: "${term}"`);
  });
}

/** engines.node names each tested release line: "^20.19.0 || ^24.0.0". */
const lines = (pkg.engines?.node ?? '').split('||').map((part) => /^\^(\d+)\.(\d+)\.(\d+)$/.exec(part.trim()));
const floors: Version[] = lines.map((m) => (m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0]));
const enginesOf = (name: string) => readJson(join(ROOT, 'node_modules', name, 'package.json')).engines?.node ?? null;
const direct = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const ciScript = readFileSync(join(ROOT, '.ci/run'), 'utf8');

describe('the Node.js requirement', () => {
  it('package.json engines names the tested release lines, each as ^major.minor.patch', () => {
    assert.ok(lines.length > 0 && lines.every(Boolean), `package.json engines.node is "^a.b.c || ^d.e.f" (got ${pkg.engines?.node})`);
  });

  it('the README states the same versions', () => {
    const words = floors.map(([major, minor]) => (minor > 0 ? `${major} (${major}.${minor} or later)` : String(major)));
    assert.match(readme, new RegExp(`Requirements: Node\\.js ${words.join(' or ').replace(/[().]/g, '\\$&')}, the versions the tests run on`));
  });

  it('.ci/run runs the suite on exactly those release lines', () => {
    const versions = /HERALD_CI_NODE_VERSIONS:-([\d ]+)\}/.exec(ciScript)?.[1]?.trim().split(/\s+/).map(Number);
    assert.deepEqual(versions, floors.map(([major]) => major));
  });

  it('the Node running these tests is one of them', () => {
    const running = parse(process.versions.node);
    assert.ok(floors.some((floor) => running[0] === floor[0] && compare(running, floor) >= 0), `Node ${process.versions.node} is not in ${pkg.engines?.node}`);
  });

  it('every dependency accepts each of them, except the ones whose warning the README explains', () => {
    for (const floor of floors) {
      const refusing = direct.filter((name) => {
        const range = enginesOf(name);
        return range !== null && !admits(range, floor);
      });
      for (const name of refusing) {
        assert.match(readme, new RegExp(`EBADENGINE Unsupported engine \\{ package: '${name}@`), `${name} (engines ${enginesOf(name)}) refuses Node ${floor.join('.')}; the README must explain its warning`);
      }
    }
  });

  it('each floor above x.0.0 is real: a dependency needs it', () => {
    for (const floor of floors.filter(([, minor]) => minor > 0)) {
      const before: Version = [floor[0], floor[1] - 1, 0];
      const needing = direct.filter((name) => {
        const range = enginesOf(name);
        return range !== null && admits(range, floor) && !admits(range, before);
      });
      assert.ok(needing.length > 0, `no dependency needs Node ${floor.join('.')}; the stated floor could be lower`);
    }
  });
});
