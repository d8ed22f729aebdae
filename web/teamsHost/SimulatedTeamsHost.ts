/**
 * A stand-in for the Teams client around a tab: it frames the tab and answers @microsoft/teams-js's
 * postMessage protocol, so the tab's real teams-js code runs unchanged in the playground and in browser
 * tests. Learned from teams-js 2.58 (internal/communication.js, appHelpers.js, app.js, pages/config.js):
 *
 *  - the tab posts requests `{ id, uuidAsString, func, args, … }` to its parent;
 *  - the host answers `{ id, uuidAsString, args }` (the tab matches the uuid, else the id);
 *  - the host calls the tab's registered handlers with `{ func, args }` (no id);
 *  - `initialize` is answered `[frameContext, hostClientType, runtimeConfig (JSON string), sdkVersion]`;
 *  - `getContext` with the v1-style flat context (`chatId`, `tid`, `userObjectId`, `theme`, …);
 *  - `authentication.getAuthToken` with `[true, token]` or `[false, reason]`;
 *  - `settings.setSettings` (pages.config.setConfig) with `[true]`; saving is the host sending
 *    `settings.save` and the tab answering `settings.save.success` / `settings.save.failure`.
 *
 * teams-js trusts messages from its own origin, so the host page must be served from the tab's origin.
 */

export type HostTheme = 'default' | 'dark' | 'contrast';
export type HostFrameContext = 'content' | 'settings' | 'remove';

export interface SimulatedTabContext {
  chatId: string;
  tenantId: string;
  userObjectId: string;
  userPrincipalName: string;
  userDisplayName: string;
  theme: HostTheme;
  locale: string;
  /** The tab's entity id (null on the config page of a new tab). */
  entityId: string | null;
  frameContext: HostFrameContext;
}

export interface AuthTokenRequest {
  resources: string[] | undefined;
  claims: string[] | undefined;
  silent: boolean | undefined;
  tenantId: string | undefined;
}

/** What pages.config.setConfig hands the host. */
export interface SavedTabConfig {
  entityId?: string;
  contentUrl?: string;
  websiteUrl?: string;
  removeUrl?: string;
  suggestedDisplayName?: string;
}

export interface HostLogEntry {
  direction: 'in' | 'out';
  func: string;
  at: number;
}

export interface SimulatedTeamsHostOptions {
  iframe: HTMLIFrameElement;
  context: SimulatedTabContext;
  /** Supplies the SSO token for `authentication.getAuthToken` (a playground or test route). */
  getAuthToken(request: AuthTokenRequest): Promise<string>;
  /** Called when the config page saved successfully (the host then usually shows contentUrl). */
  onConfigSaved?(config: SavedTabConfig): void;
  /** Called when the tab reports validity on its config page (enables the host's Save button). */
  onValidityChange?(valid: boolean): void;
  /** Called for every message either way (for a debug view). */
  onMessage?(entry: HostLogEntry): void;
}

interface TeamsRequest {
  id: number;
  uuidAsString?: string;
  func: string;
  args?: unknown[];
}

/** What the simulated host supports (runtime config v4). pages.config is needed by the config page. */
const RUNTIME_CONFIG = {
  apiVersion: 4,
  isLegacyTeams: false,
  hostVersionsInfo: { adaptiveCardSchemaVersion: { majorVersion: 1, minorVersion: 5 } },
  supports: { app: {}, appEntity: {}, chat: {}, pages: { config: {}, appButton: {}, tabs: {} }, teamsCore: {} },
};
const HOST_SDK_VERSION = '2.58.0';
const SAVE_TIMEOUT_MS = 10_000;

function isTeamsRequest(data: unknown): data is TeamsRequest {
  return typeof data === 'object' && data !== null && typeof (data as TeamsRequest).id === 'number' && typeof (data as TeamsRequest).func === 'string';
}

export class SimulatedTeamsHost {
  private context: SimulatedTabContext;
  private readonly registered = new Set<string>();
  private readonly listener = (event: MessageEvent) => void this.onMessage(event);
  private pendingSave: { resolve(config: SavedTabConfig): void; reject(error: Error): void; timer: ReturnType<typeof setTimeout> } | null = null;
  private savedConfig: SavedTabConfig | null = null;
  private valid = false;
  private started = false;
  /** Set once the tab called app.initialize and got its answer. */
  initialized = false;
  /** Set when the tab reported appInitialization.success. */
  appReady = false;
  /** Funcs the tab called that this host does not answer (for debugging). */
  readonly unhandled: string[] = [];

  constructor(private readonly options: SimulatedTeamsHostOptions) {
    this.context = { ...options.context };
  }

  get currentContext(): SimulatedTabContext {
    return { ...this.context };
  }

  get config(): SavedTabConfig | null {
    return this.savedConfig && { ...this.savedConfig };
  }

  get isValid(): boolean {
    return this.valid;
  }

  /** Starts answering the tab and loads `url` into the iframe, optionally with a changed context (e.g. after the config page saved). */
  load(url: string, changes: Partial<SimulatedTabContext> = {}): void {
    if (!this.started) {
      this.hostWindow.addEventListener('message', this.listener);
      this.started = true;
    }
    this.context = { ...this.context, ...changes };
    this.resetTabState();
    this.options.iframe.src = url;
  }

  stop(): void {
    if (this.started) this.hostWindow.removeEventListener('message', this.listener);
    this.started = false;
  }

  /** Like a person switching Teams' theme: the tab hears about it if it registered a theme handler. */
  setTheme(theme: HostTheme): void {
    this.context = { ...this.context, theme };
    if (this.registered.has('themeChange')) this.post({ func: 'themeChange', args: [theme] });
  }

  /** Presses the config dialog's Save: asks the tab to save and resolves with the config it set. */
  save(): Promise<SavedTabConfig> {
    if (this.context.frameContext !== 'settings') return Promise.reject(new Error('Save only exists on the config page'));
    if (this.pendingSave) return Promise.reject(new Error('a save is already in progress'));
    return new Promise<SavedTabConfig>((resolve, reject) => {
      const timer = setTimeout(() => this.finishSave(new Error('the tab did not answer the save in time')), SAVE_TIMEOUT_MS);
      this.pendingSave = { resolve, reject, timer };
      // Without a registered save handler teams-js answers success itself, as Teams expects.
      this.post({ func: 'settings.save', args: [{}] });
    });
  }

  /** The window holding the iframe: where the tab's `window.parent.postMessage` arrives. */
  private get hostWindow(): Window {
    const win = this.options.iframe.ownerDocument.defaultView;
    if (!win) throw new Error('the iframe is not in a window');
    return win;
  }

  private resetTabState(): void {
    this.registered.clear();
    this.initialized = false;
    this.appReady = false;
    this.setValidity(false);
  }

  private setValidity(valid: boolean): void {
    if (this.valid === valid) return;
    this.valid = valid;
    this.options.onValidityChange?.(valid);
  }

  private async onMessage(event: MessageEvent): Promise<void> {
    if (event.source !== this.options.iframe.contentWindow || !isTeamsRequest(event.data)) return;
    const request = event.data;
    const args = request.args ?? [];
    this.options.onMessage?.({ direction: 'in', func: request.func, at: Date.now() });
    switch (request.func) {
      case 'initialize':
        this.registered.clear();
        this.initialized = true;
        return this.reply(request, [this.context.frameContext, 'web', JSON.stringify(RUNTIME_CONFIG), HOST_SDK_VERSION]);
      case 'getContext':
        return this.reply(request, [this.legacyContext()]);
      case 'authentication.getAuthToken':
        return this.answerAuthToken(request, args);
      case 'registerHandler':
        if (typeof args[0] === 'string') this.registered.add(args[0]);
        return;
      case 'appInitialization.appLoaded':
        return;
      case 'appInitialization.success':
        this.appReady = true;
        return;
      case 'appInitialization.failure':
      case 'appInitialization.expectedFailure':
        this.appReady = false;
        return;
      case 'settings.setValidityState':
        this.setValidity(args[0] === true);
        return;
      case 'settings.setSettings':
        this.savedConfig = { ...(args[0] as SavedTabConfig) };
        return this.reply(request, [true]);
      case 'settings.getSettings':
        return this.reply(request, [this.savedConfig ?? {}]);
      case 'settings.save.success':
        return this.finishSave(null);
      case 'settings.save.failure':
        return this.finishSave(new Error(typeof args[0] === 'string' ? args[0] : 'the tab could not save'));
      default:
        this.unhandled.push(request.func);
    }
  }

  private async answerAuthToken(request: TeamsRequest, args: unknown[]): Promise<void> {
    const [resources, claims, silent, tenantId] = args as [string[] | undefined, string[] | undefined, boolean | undefined, string | undefined];
    try {
      const token = await this.options.getAuthToken({ resources, claims, silent, tenantId });
      this.reply(request, [true, token]);
    } catch (error) {
      this.reply(request, [false, error instanceof Error ? error.message : String(error)]);
    }
  }

  private finishSave(error: Error | null): void {
    const pending = this.pendingSave;
    if (!pending) return;
    this.pendingSave = null;
    clearTimeout(pending.timer);
    if (error) return pending.reject(error);
    const config = this.savedConfig ?? {};
    this.options.onConfigSaved?.(config);
    pending.resolve({ ...config });
  }

  /** The flat (v1) context Teams sends; teams-js turns it into app.Context. */
  private legacyContext(): Record<string, unknown> {
    const c = this.context;
    return {
      chatId: c.chatId,
      tid: c.tenantId,
      userObjectId: c.userObjectId,
      userPrincipalName: c.userPrincipalName,
      loginHint: c.userPrincipalName,
      userDisplayName: c.userDisplayName,
      theme: c.theme,
      locale: c.locale,
      entityId: c.entityId ?? undefined,
      frameContext: c.frameContext,
      hostName: 'Teams',
      hostClientType: 'web',
      appSessionId: 'simulated-session',
      sessionId: 'simulated-host',
      ringId: 'general',
      isFullScreen: false,
      userLicenseType: 'Unknown',
      tenantSKU: 'enterprise',
    };
  }

  private reply(request: TeamsRequest, args: unknown[]): void {
    this.options.onMessage?.({ direction: 'out', func: request.func, at: Date.now() });
    this.options.iframe.contentWindow?.postMessage({ id: request.id, uuidAsString: request.uuidAsString, args }, this.tabOrigin());
  }

  private post(message: { func: string; args: unknown[] }): void {
    this.options.onMessage?.({ direction: 'out', func: message.func, at: Date.now() });
    this.options.iframe.contentWindow?.postMessage(message, this.tabOrigin());
  }

  private tabOrigin(): string {
    return new URL(this.options.iframe.src, this.hostWindow.location.href).origin;
  }
}
