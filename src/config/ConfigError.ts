import { HeraldError } from '../kernel/errors.js';

/** A setting is missing or malformed. `problems` name each setting. */
export class ConfigError extends HeraldError {
  constructor(
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super('herald.config.invalid', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { context: { settings: problems.length }, cause: options?.cause });
    this.name = 'ConfigError';
  }
}
