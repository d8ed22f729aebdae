/** The playground: Herald with a simulated Teams chat, Graph and login on loopback; also the end-to-end harness. */
export { startPlaygroundHerald, reserveLoopbackPort, type PlaygroundHerald, type StartPlaygroundHeraldOptions } from './startPlaygroundHerald.js';
export { startSimulatedWorld, describeWorldEvent, type SimulatedWorld, type StartSimulatedWorldOptions } from './startSimulatedWorld.js';
export { playgroundConfig, playgroundEnv, type PlaygroundWiring } from './playgroundConfig.js';
export {
  PlaygroundController,
  PlaygroundError,
  parseChatInput,
  MEMBER_KINDS,
  TROUBLE_KINDS,
  type ChatView,
  type MemberKind,
  type MemberView,
  type PlaygroundEvent,
  type PlaygroundView,
  type SubscriptionRow,
  type TroubleKind,
} from './PlaygroundController.js';
export { registerPlaygroundRoutes, type PlaygroundRoutes } from './playgroundRoutes.js';
export { Timeline, type TimelineEntry, type TimelineAttachment } from './Timeline.js';
export type { WireItem, WireSource } from './wireView.js';
export { PlaygroundStateFile, PlaygroundStateError, type PlaygroundMeta, type PlaygroundSnapshot } from './PlaygroundStateFile.js';
export { seedPlayground, SEED_PEOPLE, SEED_TOPIC } from './seedPlayground.js';
