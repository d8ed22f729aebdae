/**
 * What `npm start` runs (the compiled dist/bin/herald.js, built before the tests by buildHerald.ts) as a
 * child process with only the given environment (no credentials unless given, no PATH) and a working
 * directory without .env files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../../../', import.meta.url).pathname;
const URL_LINE = /^Herald playground: (http:\/\/127\.0\.0\.1:\d+\/playground\/)$/m;
/** Live mode prints no URL line; its JSON log line (LOG_LEVEL info or lower) carries the URL. */
const LIVE_URL_LINE = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"Herald is listening"/;

export interface HeraldProcess {
  child: ChildProcess;
  output: () => string;
  /** The playground URL it prints, or in live mode the URL it logs; rejects when Herald exits first. */
  url: Promise<string>;
  exit: Promise<number | null>;
}

export interface HeraldProcessOptions {
  /**
   * Run without the power to override file permissions, as an ordinary user would (root writes anywhere).
   * As root this drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (util-linux `setpriv`) instead of switching
   * to another user, who may not be able to read the clone (a `mktemp -d` folder is 0700).
   */
  withoutRootOverride?: boolean;
  /** Node options before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

export function startHeraldProcess(cwd: string, dataDir: string, env: Record<string, string> = {}, options: HeraldProcessOptions = {}): HeraldProcess {
  const node = [process.execPath, ...(options.nodeArgs ?? []), join(ROOT, 'dist', 'bin', 'herald.js')];
  const [command, ...args] = options.withoutRootOverride && process.getuid?.() === 0 ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', ...node] : node;
  const child = spawn(command as string, args, {
    cwd,
    env: { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = URL_LINE.exec(text) ?? LIVE_URL_LINE.exec(text);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`Herald exited (${String(code)}) before printing its URL:\n${text}`)));
  });
  // Callers that only await the exit must not see an unhandled rejection.
  url.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, url, exit };
}
