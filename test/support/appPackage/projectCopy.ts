import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository root (this file is test/appPackage/projectCopy.ts). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** Project files the app package is built from. */
const PACKAGE_SOURCES = ['appPackage/manifest.json', 'appPackage/color.png', 'appPackage/outline.png', 'appPackage/de.json', 'appPackage/fr.json', 'appPackage/es.json', 'env/.env.local', 'env/.env.dev'];

export interface ProjectCopy {
  dir: string;
  write(relativePath: string, content: string | Buffer): Promise<void>;
  remove(): Promise<void>;
}

/** Copies the real package sources into a temporary project, so tests can alter and build them freely. */
export async function copyProject(): Promise<ProjectCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-app-package-'));
  const write = async (relativePath: string, content: string | Buffer): Promise<void> => {
    await mkdir(dirname(join(dir, relativePath)), { recursive: true });
    await writeFile(join(dir, relativePath), content);
  };
  for (const file of PACKAGE_SOURCES) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(REPO_ROOT, file), join(dir, file));
  }
  return { dir, write, remove: () => rm(dir, { recursive: true, force: true }) };
}
