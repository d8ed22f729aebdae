import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds the repository's `public/` folder holding `page` (e.g. `tab/index.html`), walking up from
 * `fromUrl`: the same answer whether run through tsx (src/…, sim/…) or compiled (dist/src/…).
 */
export function findPublicDir(page: string, fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'public');
    if (existsSync(join(candidate, page))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`page not found: no public/${page} above ${fileURLToPath(fromUrl)}`);
}
