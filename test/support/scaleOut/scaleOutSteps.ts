/** Steps and matchers the scale-out tests share. */
import type { ScaleOutWorld } from './scaleOutWorld.js';

export const WELCOME = /^Hi, I'm Herald/;
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const added = (name: string) => new RegExp(`added ${escape(name)}\\b`);
/** An announcement of the person, whether it names who added them or not. */
export const announced = (name: string) => new RegExp(`\\b${escape(name)}\\b`);

/** Lets late duplicates (a second instance, a redelivery) show up before counting. */
export const quiet = (ms = 3_000) => new Promise((resolve) => setTimeout(resolve, ms));

/** Installs Herald, sets the window to 0 and waits until Graph has the chat's two subscriptions. */
export async function installWithWindowZero(world: ScaleOutWorld): Promise<void> {
  await world.controller.installHerald();
  await world.waitForPost(WELCOME);
  await world.controller.send('@Herald window 0');
  await world.waitForPost(/window 0s/);
  const deadline = Date.now() + 30_000;
  while (world.controller.subscriptions().filter((s) => s.resource.startsWith('/chats/')).length < 2) {
    if (Date.now() > deadline) throw new Error('the chat\'s subscriptions were not created within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
