import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/ConfigError.js';
import { describeFileError } from '../config/describeFileError.js';
import { CertificateError, notificationKeyFromPem, type CertificatePart, type NotificationKey } from './NotificationKey.js';

const SETTING: Record<CertificatePart, string> = {
  certificate: 'NOTIFICATION_CERT_FILE',
  key: 'NOTIFICATION_KEY_FILE',
  id: 'NOTIFICATION_CERT_ID',
};

async function readSettingFile(setting: string, path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${setting}: cannot read ${path} (${describeFileError(error)}): set it to ${what} that this user can read`]);
  }
}

/**
 * The pair named by NOTIFICATION_CERT_FILE / NOTIFICATION_KEY_FILE. Anything wrong with it stops the start
 * as a configuration error naming the setting at fault (the key file for a key that is not PEM or does not
 * match), never as a stack trace.
 */
export async function readConfiguredCertificate(files: { certFile: string; keyFile: string; certId: string | null }): Promise<NotificationKey> {
  const certPem = await readSettingFile('NOTIFICATION_CERT_FILE', files.certFile, 'a PEM certificate file');
  const keyPem = await readSettingFile('NOTIFICATION_KEY_FILE', files.keyFile, 'the PEM private key file of NOTIFICATION_CERT_FILE');
  try {
    return notificationKeyFromPem({ certPem, keyPem, id: files.certId, source: files.certFile });
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    const file = error.part === 'key' ? files.keyFile : files.certFile;
    const advice =
      error.part === 'key'
        ? 'set it to the private key of the certificate in NOTIFICATION_CERT_FILE'
        : error.part === 'id'
          ? 'shorten NOTIFICATION_CERT_ID'
          : 'set it to a PEM X.509 certificate with an RSA key of 2048 to 4096 bits';
    throw new ConfigError([`${SETTING[error.part]}: ${file}: ${error.problem}: ${advice}`], { cause: error });
  }
}
