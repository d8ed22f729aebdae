// Bundles the browser pages' scripts (web/<page>/main.ts → public/build/<page>.js) with esbuild.
// No CDN links: everything the pages need is bundled, so they work without internet.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const webDir = join(root, 'web');
const entries = existsSync(webDir)
  ? readdirSync(webDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(webDir, d.name, 'main.ts')))
      .map((d) => ({ in: join(webDir, d.name, 'main.ts'), out: d.name }))
  : [];

if (entries.length > 0) {
  await build({
    entryPoints: entries,
    outdir: join(root, 'public', 'build'),
    bundle: true,
    format: 'iife',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
}
