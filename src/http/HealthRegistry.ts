/** Sections of the `/healthz` document, contributed by the modules that own them. */
export type HealthSection = () => unknown;

export class HealthRegistry {
  private readonly sections = new Map<string, HealthSection>();

  register(name: string, section: HealthSection): void {
    this.sections.set(name, section);
  }

  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, section] of this.sections) out[name] = section();
    return out;
  }
}
