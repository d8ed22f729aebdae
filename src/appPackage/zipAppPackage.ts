import JSZip from 'jszip';

export interface PackageEntry {
  /** Path inside the zip; Teams wants manifest.json and the icons at the root. */
  name: string;
  data: Buffer | string;
}

// A fixed timestamp keeps the zip's bytes identical for identical inputs.
const ENTRY_DATE = new Date(Date.UTC(2020, 0, 1));

/** Zips the entries, in the given order, deflated. */
export async function zipAppPackage(entries: readonly PackageEntry[]): Promise<Buffer> {
  const zip = new JSZip();
  for (const entry of entries) zip.file(entry.name, entry.data, { date: ENTRY_DATE, createFolders: false });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
}
