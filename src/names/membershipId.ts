/**
 * Graph documents conversationMember ids as opaque, but observed ids are base64 of
 * `0##{tenantId}##{chatId}##{userId}`. Herald reads them only as a last resort, when a `deleted`
 * membership notification names no user and the roster does not know the membership.
 */
export interface DecodedMembershipId {
  tenantId: string;
  chatId: string;
  userId: string;
}

export function decodeMembershipId(membershipId: string): DecodedMembershipId | null {
  let text: string;
  try {
    text = Buffer.from(membershipId, 'base64').toString('utf8');
  } catch {
    return null;
  }
  const parts = text.split('##');
  if (parts.length !== 4 || parts[0] !== '0') return null;
  const [, tenantId, chatId, userId] = parts;
  if (!tenantId || !chatId || !/^[0-9a-f-]{8,}$/i.test(userId ?? '')) return null;
  return { tenantId, chatId, userId };
}
