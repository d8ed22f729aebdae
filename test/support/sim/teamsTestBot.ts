import type { AddressInfo } from 'node:net';
import restify from 'restify';
import { type ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';

/** A real botbuilder bot on restify, wired as dependencies.md §2 proved (BOT_ID blank: no auth either way). */
export interface TestBot {
  endpoint: string;
  adapter: CloudAdapter;
  /** botbuilder swallows turn errors into onTurnError; they land here. */
  turnErrors: unknown[];
  close(): Promise<void>;
}

export async function startTestBot(handler: ActivityHandler): Promise<TestBot> {
  const adapter = new CloudAdapter(
    new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }),
  );
  const turnErrors: unknown[] = [];
  adapter.onTurnError = async (_context, error) => {
    turnErrors.push(error);
  };
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => handler.run(context));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/api/messages`,
    adapter,
    turnErrors,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.server.closeAllConnections();
      }),
  };
}
