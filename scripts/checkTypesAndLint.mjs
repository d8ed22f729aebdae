// npm test's first step: the type check (tsc) and the linter (eslint) side by side, each on a core of its
// own, instead of one after the other. Prints what each reports and fails when either fails.
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const checks = [
  { name: 'type check', command: ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'] },
  { name: 'lint', command: ['node_modules/eslint/bin/eslint.js', '.'] },
];

const results = await Promise.all(
  checks.map(
    ({ name, command }) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, command, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.once('error', (error) => resolve({ name, code: 1, output: String(error) }));
        child.once('close', (code) => resolve({ name, code: code ?? 1, output }));
      }),
  ),
);
for (const { name, code, output } of results) {
  if (output.trim()) process.stdout.write(`${output.trimEnd()}\n`);
  if (code !== 0) process.stderr.write(`${name} failed (exit code ${code})\n`);
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
