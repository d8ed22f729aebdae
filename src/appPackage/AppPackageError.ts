import { HeraldError } from '../kernel/errors.js';

/** Building the Teams app package failed; `problems` lists every reason found, one per entry. */
export class AppPackageError extends HeraldError {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
    code: 'herald.app_package.invalid' | 'herald.app_package.unresolved_placeholder' = 'herald.app_package.invalid',
  ) {
    super(code, problems.length > 0 ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
    this.name = 'AppPackageError';
  }
}

/** `${{VAR}}` placeholders that no environment layer defines (or defines as empty, as Teams Toolkit counts it). */
export class UnresolvedPlaceholderError extends AppPackageError {
  constructor(
    readonly variables: readonly string[],
    readonly source: string,
    readonly searched: readonly string[],
    /** What fills them in, when the caller knows (e.g. the toolkit's provision for an environment). */
    readonly hints: readonly string[] = [],
  ) {
    super(
      `${source} uses ${variables.length === 1 ? 'a variable' : 'variables'} that ${variables.length === 1 ? 'is' : 'are'} not set: ${variables.join(', ')}`,
      [`looked in: ${searched.join(' > ')} (empty values count as unset, as in Teams Toolkit)`, ...hints],
      'herald.app_package.unresolved_placeholder',
    );
    this.name = 'UnresolvedPlaceholderError';
  }

  /** The same error, saying what fills the variables in. */
  withHint(hint: string): UnresolvedPlaceholderError {
    return new UnresolvedPlaceholderError(this.variables, this.source, this.searched, [...this.hints, hint]);
  }
}

/** The resolved manifest or its icons break the schema or Teams' packaging rules. */
export class AppPackageValidationError extends AppPackageError {
  constructor(source: string, problems: readonly string[]) {
    super(`${source} is not a valid Teams app package:`, problems);
    this.name = 'AppPackageValidationError';
  }
}
