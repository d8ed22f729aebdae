/** Errors the Teams double raises to the test or playground code that drives it. */

export class WaitForPostsTimeoutError extends Error {
  override readonly name = 'WaitForPostsTimeoutError';

  constructor(
    readonly conversationId: string | undefined,
    readonly expected: number,
    readonly received: number,
    readonly timeoutMs: number,
  ) {
    super(
      `expected ${expected} post(s) to ${conversationId ?? 'any conversation'} within ${timeoutMs} ms, got ${received}`,
    );
  }
}

export class TeamsDoubleClosedError extends Error {
  override readonly name = 'TeamsDoubleClosedError';

  constructor(what: string) {
    super(`the Teams double was closed while ${what}`);
  }
}

export class BotEndpointNotSetError extends Error {
  override readonly name = 'BotEndpointNotSetError';

  constructor() {
    super('no bot endpoint: pass botEndpoint to startTeamsDouble or call channel.setBotEndpoint(url)');
  }
}

export class UnknownTenantError extends Error {
  override readonly name = 'UnknownTenantError';

  constructor(readonly conversationId: string) {
    super(`no tenant known for conversation ${conversationId}: pass tenantId or install the bot there first`);
  }
}

export class BotDeliveryError extends Error {
  override readonly name = 'BotDeliveryError';

  constructor(
    readonly endpoint: string,
    readonly activityType: string,
    override readonly cause: unknown,
  ) {
    super(`could not deliver ${activityType} to ${endpoint}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
