/**
 * Where the Herald under test keeps its state, chosen the way an operator chooses it: the embedded store
 * (no DATABASE_URL, state in DATA_DIR) or PostgreSQL (DATABASE_URL to a fresh schema on the test server,
 * TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test). Nothing here knows how either stores anything.
 */
import { freshSchema } from '../../test/support/storage/testPostgres.js';

export type StoreKind = 'embedded' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['embedded', 'postgres'];

export interface BenchStore {
  kind: StoreKind;
  /** Environment for every Herald on this store. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function openBenchStore(kind: StoreKind): Promise<BenchStore> {
  if (kind === 'embedded') return { kind, env: {}, drop: async () => undefined };
  const db = await freshSchema('bench');
  const url = new URL(db.url);
  url.searchParams.set('options', `-c search_path=${db.schema}`);
  return { kind, env: { DATABASE_URL: url.toString() }, drop: () => db.drop() };
}

/** BENCH_STORES=embedded,postgres (default both). */
export function storesFromEnv(): StoreKind[] {
  const wanted = (process.env.BENCH_STORES ?? STORE_KINDS.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  for (const kind of wanted) if (!STORE_KINDS.includes(kind as StoreKind)) throw new Error(`BENCH_STORES: '${kind}' is not one of ${STORE_KINDS.join(', ')}`);
  return wanted as StoreKind[];
}
