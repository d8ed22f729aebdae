import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { readProjectText } from '../../support/appPackage/toolkitProject.js';

// No Docker daemon (and no registry for base images) on the build machines: these tests read the
// Dockerfile's instructions and run its health check against a real HTTP server.
interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions per stage, line continuations joined, comments dropped. */
function stages(text: string): Instruction[][] {
  const logical = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const result: Instruction[][] = [];
  for (const line of logical) {
    const [keyword, ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const dockerfile = stages(readProjectText('Dockerfile'));
const runtime = dockerfile.at(-1) ?? [];
const argsOf = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage: a build stage compiles, the final stage starts from a clean Node LTS image', () => {
    assert.ok(dockerfile.length >= 2);
    assert.match(dockerfile[0][0].args, /^node:24[\w.-]* AS build$/);
    assert.match(runtime[0].args, /^node:24[\w.-]*$/);
    assert.ok(argsOf(dockerfile[0], 'RUN').includes('npm run build'));
    // tsconfig.build.json compiles src, sim and bin; scripts/buildWeb.mjs bundles web/ into public/build.
    const copied = argsOf(dockerfile[0], 'COPY').join('\n');
    for (const folder of ['bin', 'src', 'sim', 'web', 'public']) assert.match(copied, new RegExp(`^${folder} \\./${folder}$`, 'm'), folder);
  });

  it('installs production dependencies only with npm ci --omit=dev, and copies just the build output', () => {
    assert.ok(argsOf(runtime, 'RUN').some((run) => /^npm ci --omit=dev\b/.test(run)));
    assert.deepEqual(argsOf(runtime, 'COPY').filter((c) => c.startsWith('--from=')), ['--from=build /app/dist ./dist', '--from=build /app/public ./public']);
  });

  it('runs as a non-root user, with DATA_DIR on a volume it owns', () => {
    const users = argsOf(runtime, 'USER');
    assert.equal(users.length, 1);
    assert.doesNotMatch(users[0], /^(root|0)(:|$)/);
    const userAt = runtime.findIndex((i) => i.keyword === 'USER');
    const cmdAt = runtime.findIndex((i) => i.keyword === 'CMD');
    assert.ok(userAt < cmdAt);
    assert.match(argsOf(runtime, 'ENV').join(' '), /DATA_DIR=\/data/);
    assert.ok(argsOf(runtime, 'RUN').some((run) => run.includes(`chown ${users[0]}:${users[0]} /data`)));
  });

  it('starts Herald with node (the image has no sources for npm start to compile) on the exposed PORT', () => {
    assert.deepEqual(JSON.parse(argsOf(runtime, 'CMD')[0]), ['node', 'dist/bin/herald.js']);
    const port = /PORT=(\d+)/.exec(argsOf(runtime, 'ENV').join(' '))?.[1];
    assert.deepEqual(argsOf(runtime, 'EXPOSE'), [port]);
  });

  it('keeps dependencies, local state and secrets out of the build context (.dockerignore)', () => {
    const ignored = readProjectText('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', 'data', 'env', '.env', '.localConfigs', '.localConfigs.*', '.git']) assert.ok(ignored.includes(entry), entry);
  });

  describe('HEALTHCHECK', () => {
    const healthcheck = argsOf(runtime, 'HEALTHCHECK')[0] ?? '';
    const command = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    let server: Server;
    let status = 200;
    let paths: string[] = [];

    before(async () => {
      server = createServer((req, res) => {
        paths.push(req.url ?? '');
        // Not chained: restify, loaded by other test files, patches writeHead to return nothing.
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    after(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });

    beforeEach(() => {
      paths = [];
    });

    const probe = (port: number) =>
      promisify(execFile)(command[0] === 'node' ? process.execPath : command[0], command.slice(1), { env: { PORT: String(port) } }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );

    it('checks every 30 s with a timeout, and asks GET /healthz on PORT', async () => {
      assert.match(healthcheck, /--interval=30s --timeout=5s/);
      assert.equal(await probe((server.address() as AddressInfo).port), 0);
      assert.deepEqual(paths, ['/healthz']);
    });

    it('fails when /healthz is not 200, or nothing listens', async () => {
      status = 503;
      assert.equal(await probe((server.address() as AddressInfo).port), 1);
      status = 200;
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const freePort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      assert.equal(await probe(freePort), 1);
    });
  });
});
