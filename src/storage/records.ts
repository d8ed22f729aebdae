/**
 * Record shapes the store keeps that belong to no feature model (the others live in src/model/).
 */

/**
 * What the notification pipeline remembers about one Graph resource's recent changes: which change
 * identities it handed on, and which subscriptions reported each (see notifications/route/ChangeDeduplicator).
 */
export interface ResourceChangeLog {
  /** `{tenantId lower-cased}|{resource}` */
  key: string;
  /** Newest `lastUpdatedDateTime` handed on (chats); older payloads are stale. */
  latestStamp: string | null;
  /** Keyed by change identity (`{changeType}|{content hash}`). */
  changes: Record<string, SeenChange>;
}

export interface SeenChange {
  /** The `changeKey` the change was handed on with. */
  changeKey: string;
  /** When it was handed on (ISO). */
  at: string;
  /** Subscriptions that reported this change since it was handed on. */
  reporters: string[];
  /** A later change of the same resource was handed on after this one. */
  superseded: boolean;
}

/** A certificate Herald generated, with its private key (PEM). */
export interface StoredCertificate {
  /** SHA-1, uppercase hex. */
  thumbprint: string;
  certPem: string;
  keyPem: string;
  /** When it was generated (ISO): instances switch to a new one only once all of them can have seen it. */
  createdAt: string;
}
