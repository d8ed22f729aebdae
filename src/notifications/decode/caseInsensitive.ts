/**
 * Graph's documented payloads disagree on casing (`encryptedContent` / `EncryptedContent`,
 * `created` / `Created`), so every property and enum value is read case-insensitively.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A view of an object whose property names are matched without regard to case. */
export class LooseObject {
  private readonly byLowerName = new Map<string, unknown>();

  constructor(source: JsonObject) {
    for (const [name, value] of Object.entries(source)) {
      const lower = name.toLowerCase();
      // If both spellings are present, the first one that carries a value wins.
      if (!this.byLowerName.has(lower) || this.byLowerName.get(lower) == null) this.byLowerName.set(lower, value);
    }
  }

  static from(value: unknown): LooseObject | null {
    return isObject(value) ? new LooseObject(value) : null;
  }

  has(name: string): boolean {
    return this.byLowerName.has(name.toLowerCase());
  }

  get(name: string): unknown {
    return this.byLowerName.get(name.toLowerCase());
  }

  string(name: string): string | null {
    const value = this.get(name);
    return typeof value === 'string' ? value : null;
  }

  object(name: string): LooseObject | null {
    return LooseObject.from(this.get(name));
  }
}

/** Maps a case-variant enum value onto its canonical spelling; null when unknown. */
export function canonicalEnum<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  if (value === null) return null;
  const lower = value.trim().toLowerCase();
  return allowed.find((a) => a.toLowerCase() === lower) ?? null;
}
