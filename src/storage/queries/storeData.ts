import type { ChatState } from '../../model/chat.js';
import type { InboxBatch, OutboxPost, PendingSummary } from '../../model/inbox.js';
import type { Installation } from '../../model/installation.js';
import type { PendingCreationRecord, SubscriptionRecord } from '../../model/subscription.js';
import type { ResourceChangeLog } from '../records.js';
import type { ChangeLogs, Chats, Installations, Outbox, PendingCreations, PendingSummaries, StoreData, Subscriptions } from '../Store.js';
import { count, run, type QueryContext } from './context.js';
import { history, seenKeys } from './history.js';
import { instances } from './instances.js';
import { docs, loose, records } from './records.js';
import { workQueue } from './work.js';

/** Every collection and named query of the Store, over a database or one transaction of it. */
export function storeData(ctx: QueryContext): StoreData {
  return {
    installations: installations(ctx),
    subscriptions: subscriptions(ctx),
    chats: chats(ctx),
    inbox: workQueue<InboxBatch>(ctx, 'inbox', 'inbox'),
    outbox: outbox(ctx),
    pendingSummaries: pendingSummaries(ctx),
    pendingCreations: pendingCreations(ctx),
    changeLogs: changeLogs(ctx),
    history: history(ctx),
    seen: seenKeys(ctx),
    instances: instances(ctx),
  };
}

const tenant = (ctx: QueryContext, tenantId: string) => ctx.dialect.text(tenantId.toLowerCase());

function installations(ctx: QueryContext): Installations {
  const { db } = ctx;
  return {
    ...records<Installation>(ctx, 'installations', 'installations'),
    installed: (tenantId) =>
      run(ctx, 'installations.installed', false, async () =>
        docs<Installation>(
          ctx,
          await db
            .selectFrom('installations')
            .select('doc')
            .where('installed', '=', 1)
            .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenant(ctx, tenantId ?? '')))
            .orderBy('key')
            .execute(),
        ),
      ),
    countInstalled: () =>
      run(ctx, 'installations.countInstalled', false, async () =>
        count((await db.selectFrom('installations').select((eb) => eb.fn.countAll().as('n')).where('installed', '=', 1).executeTakeFirst())?.n),
      ),
  };
}

function subscriptions(ctx: QueryContext): Subscriptions {
  const { db, dialect } = ctx;
  const select = () => db.selectFrom('subscriptions').select('doc');
  const list = (operation: string, query: () => Promise<Array<{ doc: unknown }>>) =>
    run(ctx, `subscriptions.${operation}`, false, async () => docs<SubscriptionRecord>(ctx, await query()));
  return {
    ...records<SubscriptionRecord>(ctx, 'subscriptions', 'subscriptions'),
    all: () => list('all', () => select().orderBy('key').execute()),
    ofChat: (chatId) => list('ofChat', () => select().where('chat_id', '=', dialect.text(chatId)).orderBy('key').execute()),
    tenantWide: (tenantId) => list('tenantWide', () => select().where('tenant_id', '=', tenant(ctx, tenantId)).where('chat_id', 'is', null).orderBy('key').execute()),
    ofTenant: (tenantId) => list('ofTenant', () => select().where('tenant_id', '=', tenant(ctx, tenantId)).orderBy('key').execute()),
    forSpec: ({ tenantId, chatId, kind }) =>
      list('forSpec', () =>
        select()
          .where('tenant_id', '=', tenant(ctx, tenantId))
          .where('chat_id', chatId === null ? 'is' : '=', chatId === null ? null : dialect.text(chatId))
          .where('kind', '=', kind)
          .orderBy('key')
          .execute(),
      ),
    tenants: () =>
      run(ctx, 'subscriptions.tenants', false, async () => {
        // Tenants as the records spell them (the column is lower-cased).
        const rows = await db.selectFrom('subscriptions').select((eb) => [eb.fn.min('key').as('key')]).groupBy('tenant_id').execute();
        const keys = rows.map((row) => row.key).filter((key): key is string => typeof key === 'string');
        if (keys.length === 0) return [];
        return docs<SubscriptionRecord>(ctx, await select().where('key', 'in', keys).execute()).map((s) => s.tenantId);
      }),
    notOnCertificate: (thumbprint) =>
      list('notOnCertificate', () =>
        select()
          .where((eb) => eb.or([eb('cert_thumbprint', 'is', null), eb('cert_thumbprint', '!=', thumbprint)]))
          .orderBy('key')
          .execute(),
      ),
    anyOnCertificate: ({ thumbprint, id }) =>
      run(ctx, 'subscriptions.anyOnCertificate', false, async () => {
        const found = await db
          .selectFrom('subscriptions')
          .select('key')
          .where((eb) => eb.or([eb('cert_thumbprint', '=', thumbprint), eb.and([eb('cert_thumbprint', 'is', null), eb('cert_id', '=', dialect.text(id))])]))
          .limit(1)
          .executeTakeFirst();
        return found !== undefined;
      }),
    counts: (now) =>
      run(ctx, 'subscriptions.counts', false, async () => {
        const row = await db
          .selectFrom('subscriptions')
          .select((eb) => [eb.fn.countAll().as('total'), eb.fn.sum(eb.case().when('expires_at', '<=', now.getTime()).then(1).else(0).end()).as('expired')])
          .executeTakeFirst();
        return { total: count(row?.total), expired: count(row?.expired) };
      }),
  };
}

function chats(ctx: QueryContext): Chats {
  const { db } = ctx;
  return {
    ...records<ChatState>(ctx, 'chats', 'chats'),
    installedWithProblem: () =>
      run(ctx, 'chats.installedWithProblem', false, async () =>
        docs<ChatState>(
          ctx,
          await db
            .selectFrom('chats')
            .innerJoin('installations', 'installations.key', 'chats.key')
            .select('chats.doc')
            .where('chats.has_problem', '=', 1)
            .where('installations.installed', '=', 1)
            .orderBy('chats.key')
            .execute(),
        ),
      ),
    withTenantProblem: (tenantId) =>
      run(ctx, 'chats.withTenantProblem', false, async () =>
        docs<ChatState>(
          ctx,
          await db
            .selectFrom('chats')
            .select('doc')
            .where('has_tenant_problem', '=', 1)
            .$if(tenantId !== undefined, (qb) => qb.where('tenant_id', '=', tenant(ctx, tenantId ?? '')))
            .orderBy('key')
            .execute(),
        ),
      ),
  };
}

function outbox(ctx: QueryContext): Outbox {
  const { db, dialect } = ctx;
  return {
    ...workQueue<OutboxPost>(ctx, 'outbox', 'outbox'),
    ofChat: (chatId) =>
      run(ctx, 'outbox.ofChat', false, async () => docs<OutboxPost>(ctx, await db.selectFrom('outbox').select('doc').where('chat_id', '=', dialect.text(chatId)).orderBy('key').execute())),
    idsByChat: () =>
      run(ctx, 'outbox.idsByChat', false, async () => {
        const byChat = new Map<string, string[]>();
        for (const row of await db.selectFrom('outbox').select(['chat_id', 'key']).orderBy('chat_id').orderBy('key').execute()) {
          const chatId = dialect.fromText(row.chat_id);
          byChat.set(chatId, [...(byChat.get(chatId) ?? []), dialect.fromText(row.key)]);
        }
        return byChat;
      }),
  };
}

function pendingSummaries(ctx: QueryContext): PendingSummaries {
  const { db } = ctx;
  return {
    ...records<PendingSummary>(ctx, 'pending_summaries', 'pendingSummaries'),
    all: () => run(ctx, 'pendingSummaries.all', false, async () => docs<PendingSummary>(ctx, await db.selectFrom('pending_summaries').select('doc').orderBy('key').execute())),
    count: () => run(ctx, 'pendingSummaries.count', false, async () => count((await db.selectFrom('pending_summaries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirst())?.n)),
  };
}

function pendingCreations(ctx: QueryContext): PendingCreations {
  return {
    ...records<PendingCreationRecord>(ctx, 'pending_creations', 'pendingCreations'),
    ofTenant: (tenantId) =>
      run(ctx, 'pendingCreations.ofTenant', false, async () =>
        docs<PendingCreationRecord>(ctx, await ctx.db.selectFrom('pending_creations').select('doc').where('tenant_id', '=', tenant(ctx, tenantId)).orderBy('key').execute()),
      ),
  };
}

function changeLogs(ctx: QueryContext): ChangeLogs {
  return {
    ...records<ResourceChangeLog>(ctx, 'change_logs', 'changeLogs'),
    keysWithChangesBefore: (before) =>
      run(ctx, 'changeLogs.keysWithChangesBefore', false, async () =>
        (await loose(ctx).selectFrom('change_logs').select('key').where('oldest_at', '<', before.getTime()).orderBy('key').execute()).map((row) => ctx.dialect.fromText(row.key)),
      ),
  };
}
