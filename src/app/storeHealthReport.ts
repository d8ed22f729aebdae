import type { Store, StoreHealth } from '../storage/Store.js';

export interface StoreHealthSection extends StoreHealth {
  /** When reachability was last checked (ISO). */
  checkedAt: string;
}

export interface StoreHealthReport {
  /** Checks now and remembers the answer. */
  refresh(): Promise<StoreHealthSection>;
  /**
   * The `/healthz` section: the last answer at once (a probe must not wait for the database), starting a new
   * check in the background when that answer is older than `maxAgeMs`, so probes do not each cost a
   * database round trip.
   */
  read(): StoreHealthSection;
}

export function storeHealthReport(store: Pick<Store, 'kind' | 'health'>, options: { clock: () => Date; maxAgeMs?: number }): StoreHealthReport {
  const maxAgeMs = options.maxAgeMs ?? 5_000;
  let last: StoreHealthSection = { kind: store.kind, reachable: false, migrationVersion: null, error: 'NOT_CHECKED', checkedAt: options.clock().toISOString() };
  let checking: Promise<StoreHealthSection> | null = null;
  let checked = false;
  const refresh = (): Promise<StoreHealthSection> => {
    checking ??= store
      .health()
      .then((health) => {
        last = { ...health, checkedAt: options.clock().toISOString() };
        checked = true;
        return last;
      })
      .finally(() => (checking = null));
    return checking;
  };
  return {
    refresh,
    read: () => {
      if (!checked || options.clock().getTime() - Date.parse(last.checkedAt) >= maxAgeMs) void refresh();
      return last;
    },
  };
}
