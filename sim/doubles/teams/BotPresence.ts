/**
 * Which conversations the bot is currently part of, as Teams would know it. The channel client
 * updates it (installs, removals, and any activity Teams delivers from a conversation); the
 * connector consults it when roster enforcement is on (posting after removal → 403).
 * Channel thread ids (`19:…@thread.tacv2;messageid=…`) count as their channel.
 */
export class BotPresence {
  private readonly present = new Set<string>();

  join(conversationId: string): void {
    this.present.add(baseConversationId(conversationId));
  }

  leave(conversationId: string): void {
    this.present.delete(baseConversationId(conversationId));
  }

  has(conversationId: string): boolean {
    return this.present.has(baseConversationId(conversationId));
  }

  conversations(): string[] {
    return [...this.present];
  }
}

function baseConversationId(conversationId: string): string {
  const cut = conversationId.indexOf(';');
  return cut === -1 ? conversationId : conversationId.slice(0, cut);
}
