import { pino, type Logger, type DestinationStream } from 'pino';

/** Paths never written to logs: secrets, tokens, decrypted content. */
export const REDACTED_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'clientSecret', '*.clientSecret',
  'token', '*.token', 'accessToken', '*.accessToken', 'validationToken', '*.validationToken', 'validationTokens',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'clientState', '*.clientState', 'dataKey', '*.dataKey', 'encryptedContent', '*.encryptedContent',
  'decrypted', '*.decrypted', 'privateKey', '*.privateKey',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'herald',
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
