/** Sections of the `/healthz` document, contributed by the modules that own them. */
export type HealthSection = () => unknown;

export class HealthRegistry {
  private readonly sections = new Map<string, HealthSection>();

  register(name: string, section: HealthSection): void {
    this.sections.set(name, section);
  }

  /** Every section, read at once (a section may read the store). */
  async snapshot(): Promise<Record<string, unknown>> {
    const names = [...this.sections.keys()];
    const values = await Promise.all([...this.sections.values()].map((section) => section()));
    return Object.fromEntries(names.map((name, i) => [name, values[i]]));
  }
}
