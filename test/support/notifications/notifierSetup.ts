import { generateNotificationCertificate } from '../../../src/certificates/generateNotificationCertificate.js';
import { notificationKeyFromPem } from '../../../src/certificates/NotificationKey.js';
import { NotificationKeyRing } from '../../../src/certificates/NotificationKeyRing.js';
import { LoginDouble } from '../../../sim/doubles/login/LoginDouble.js';
import { createLoopbackCa } from '../../../sim/doubles/tls/loopbackCa.js';
import { trustCaForFetch } from '../../../sim/doubles/tls/trustCaForFetch.js';
import { GraphNotifier } from './graphNotifications.js';

/** What a pipeline test needs to send Graph's notifications: the login double signing tokens, Herald's key ring, a notifier. */
export interface NotifierSetup {
  login: LoginDouble;
  ring: NotificationKeyRing;
  notifier: GraphNotifier;
  close(): Promise<void>;
}

export async function notifierSetup(clientId: string): Promise<NotifierSetup> {
  const ca = await createLoopbackCa();
  const restoreTrust = trustCaForFetch(ca.caCertPem);
  const login = await LoginDouble.start({ tls: ca });
  const generated = await generateNotificationCertificate({ now: new Date(), validityDays: 30 });
  const ring = new NotificationKeyRing([notificationKeyFromPem({ ...generated, id: 'herald-test', source: 'test' })]);
  const notifier = new GraphNotifier({ login, audience: clientId, certificate: { id: 'herald-test', certPem: generated.certPem } });
  return {
    login,
    ring,
    notifier,
    close: async () => {
      await login.close();
      restoreTrust();
    },
  };
}
