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

const declared = /^>=(\d+\.\d+)$/.exec(pkg.engines?.node ?? '')?.[1];
const minimum = parse(declared ?? '0');
const enginesOf = (name: string) => readJson(join(ROOT, 'node_modules', name, 'package.json')).engines?.node ?? null;
const direct = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });

describe('the Node.js requirement', () => {
  it('package.json engines and the README state the same minimum', () => {
    assert.ok(declared, `package.json engines.node is a plain ">=major.minor" (got ${pkg.engines?.node})`);
    assert.match(readme, new RegExp(`Requirements: Node\\.js ${declared.replace('.', '\\.')} or later`));
  });

  it('the Node running these tests meets it', () => {
    assert.ok(compare(parse(process.versions.node), minimum) >= 0, `Node ${process.versions.node} is older than ${declared}`);
  });

  it('every dependency accepts it, except the ones whose warning the README explains', () => {
    const refusing = direct.filter((name) => {
      const range = enginesOf(name);
      return range !== null && !admits(range, minimum);
    });
    for (const name of refusing) {
      assert.match(readme, new RegExp(`EBADENGINE Unsupported engine \\{ package: '${name}@`), `${name} (engines ${enginesOf(name)}) refuses Node ${declared}; the README must explain its warning`);
    }
  });

  it('is the real minimum: a dependency needs it', () => {
    const before: Version = minimum[1] > 0 ? [minimum[0], minimum[1] - 1, 0] : [minimum[0] - 1, 99, 0];
    const needing = direct.filter((name) => {
      const range = enginesOf(name);
      return range !== null && admits(range, minimum) && !admits(range, before);
    });
    assert.ok(needing.length > 0, `no dependency needs Node ${declared}; the stated minimum could be lower`);
  });
});
