import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { startHeraldProcess } from '../../support/process/heraldProcess.js';

/** A live configuration that needs no network before the failure under test (BOT_AUTH=off, no BOT_ID). */
const LIVE = {
  AAD_APP_CLIENT_ID: randomUUID(),
  AAD_APP_CLIENT_SECRET: 'secret-for-start-failure-tests',
  AAD_APP_TENANT_ID: randomUUID(),
  BOT_AUTH: 'off',
  PUBLIC_URL: 'https://herald.example.invalid',
  // BOT_AUTH=off warns at start; only the failure itself is under test.
  LOG_LEVEL: 'error',
};

/** The start fails with one plain configuration message naming `setting`, no stack, exit 1. */
async function assertPlainFailure(run: ReturnType<typeof startHeraldProcess>, setting: string, detail: RegExp): Promise<void> {
  assert.equal(await run.exit, 1, run.output());
  const output = run.output();
  assert.match(output, new RegExp(`Invalid configuration:\\n  - ${setting}: `), output);
  assert.match(output, detail, output);
  assert.doesNotMatch(output, /"level"|\bat .*\(|^\s+at /m, 'a plain message, not a JSON log line or a stack');
}

describe('npm start: start-up failures name their setting', function () {
  this.timeout(60_000);
  let workDir: string;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'herald-startfail-'));
    const pair = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
    certFile = join(workDir, 'cert.pem');
    keyFile = join(workDir, 'key.pem');
    await writeFile(certFile, pair.certPem);
    await writeFile(keyFile, pair.keyPem);
  });

  after(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('an unreadable NOTIFICATION_CERT_FILE', async () => {
    const missing = join(workDir, 'no-such-cert.pem');
    const run = startHeraldProcess(workDir, join(workDir, 'data-cert'), { ...LIVE, NOTIFICATION_CERT_FILE: missing, NOTIFICATION_KEY_FILE: keyFile });
    await assertPlainFailure(run, 'NOTIFICATION_CERT_FILE', new RegExp(`cannot read ${missing} \\(no such file or folder\\)`));
  });

  it('an unreadable NOTIFICATION_KEY_FILE is blamed on the key file, not the certificate', async () => {
    const missing = join(workDir, 'no-such-key.pem');
    const run = startHeraldProcess(workDir, join(workDir, 'data-key'), { ...LIVE, NOTIFICATION_CERT_FILE: certFile, NOTIFICATION_KEY_FILE: missing });
    await assertPlainFailure(run, 'NOTIFICATION_KEY_FILE', new RegExp(`cannot read ${missing}`));
  });

  it('a NOTIFICATION_KEY_FILE that holds no private key is blamed on the key file', async () => {
    const run = startHeraldProcess(workDir, join(workDir, 'data-badkey'), { ...LIVE, NOTIFICATION_CERT_FILE: certFile, NOTIFICATION_KEY_FILE: certFile });
    await assertPlainFailure(run, 'NOTIFICATION_KEY_FILE', /not a PEM private key: set it to the private key of the certificate in NOTIFICATION_CERT_FILE/);
  });

  it('a DATA_DIR where a file is in the way', async () => {
    const file = join(workDir, 'a-file');
    await writeFile(file, 'not a folder');
    const run = startHeraldProcess(workDir, join(file, 'data'), {});
    await assertPlainFailure(run, 'DATA_DIR', /Herald cannot write .*a-file\/data \(a file is in the way where a folder should be\): move that file away, or set DATA_DIR to another folder\nFix each setting named above/);
  });

  it('a DATA_DIR this user may not write', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'herald-readonly-'));
    try {
      const dataDir = join(shared, 'data');
      await mkdir(dataDir, { mode: 0o555 });
      await chmod(dataDir, 0o555);
      const run = startHeraldProcess(shared, dataDir, {}, { withoutRootOverride: true });
      await assertPlainFailure(run, 'DATA_DIR', new RegExp(`Herald cannot write ${dataDir} \\(permission denied\\): make that folder writable for this user, or set DATA_DIR to a folder it can write\\nFix each setting named above`));
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });
});
