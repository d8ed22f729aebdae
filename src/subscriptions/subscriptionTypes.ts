import type { ChatUnits } from '../events/ChatUnits.js';
import type { Logger } from 'pino';
import type { CertificateRotation, EncryptionCertificateSource } from '../certificates/EncryptionCertificate.js';
import type { HeraldEvents } from '../events/HeraldEvents.js';
import type { ChatGraph } from '../graph/ChatGraph.js';
import type { GraphSubscription, NewSubscription } from '../graph/GraphApi.js';
import type { Store } from '../storage/Store.js';
import type { ChatProblemReporter } from './ChatProblemReporter.js';
import type { RenewalPolicyOptions } from './RenewalPolicy.js';
import type { Timers } from '../kernel/timers.js';

/** The Graph calls the manager makes (GraphApi implements them). */
export interface SubscriptionGraph extends Pick<ChatGraph, 'getChat' | 'listChatMembers'> {
  createSubscription(tenantId: string, body: NewSubscription): Promise<GraphSubscription>;
  renewSubscription(tenantId: string, id: string, expirationDateTime: string): Promise<GraphSubscription>;
  deleteSubscription(tenantId: string, id: string): Promise<void>;
  reauthorizeSubscription(tenantId: string, id: string): Promise<void>;
  listSubscriptions(tenantId: string): Promise<GraphSubscription[]>;
}

export interface SubscriptionManagerOptions extends RenewalPolicyOptions {
  /** Subscription jobs running at once. */
  concurrency: number;
  /** Graph: no reauthorize and PATCH of one subscription within 10 minutes of each other. */
  reauthorizeSpacingMs: number;
  /** Transient failures of a DELETE are retried this many times, then left to the start-up reconcile. */
  deleteAttempts: number;
  /** How often the encryption certificate is checked for a rotation. */
  certificateCheckMs: number;
  /** Timer functions for the wheel (default: the globals at call time, so sinon fake timers apply). */
  timers?: Timers;
}

export interface SubscriptionManagerDeps {
  graph: SubscriptionGraph;
  store: Store;
  events: HeraldEvents;
  /** Where the changes a reconcile finds go: the chat's unit of work, as notifications' do. */
  units: Pick<ChatUnits, 'apply'>;
  problems: ChatProblemReporter;
  certificates: EncryptionCertificateSource;
  /** Rotation at runtime: checked daily; without it the certificate is only looked at on start. */
  rotation?: CertificateRotation;
  log: Logger;
  clock: () => Date;
  /** `PUBLIC_URL`, no trailing slash. */
  publicUrl: string;
  teamsAppId: string | null;
  billingModel: 'B' | null;
  /** Herald's own ids (bot app id, Entra client id): never part of a roster. */
  ownIds?: readonly string[];
  /** This instance's id (HeraldContext.instanceId), recorded on the subscriptions it creates, renews or reauthorizes. */
  instanceId?: string;
  options?: Partial<SubscriptionManagerOptions>;
}

export const DEFAULT_MANAGER_OPTIONS: Omit<SubscriptionManagerOptions, keyof RenewalPolicyOptions | 'timers'> = {
  concurrency: 4,
  reauthorizeSpacingMs: 10 * 60_000,
  deleteAttempts: 5,
  certificateCheckMs: 24 * 60 * 60_000,
};
