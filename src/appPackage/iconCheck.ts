import { PNG } from 'pngjs';

/** Teams' icon rules: colour 192×192 full colour; outline 32×32, white (255,255,255) on transparent. */
export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

export interface IconFile {
  name: string;
  data: Buffer;
}

interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 8 bits per channel. */
  rgba: Buffer;
}

function decode(icon: IconFile, problems: string[]): DecodedPng | null {
  try {
    const png = PNG.sync.read(icon.data);
    return { width: png.width, height: png.height, rgba: png.data };
  } catch (error) {
    problems.push(`${icon.name} is not a readable PNG (${(error as Error).message})`);
    return null;
  }
}

function checkSize(icon: IconFile, png: DecodedPng, size: number, problems: string[]): void {
  if (png.width !== size || png.height !== size) problems.push(`${icon.name} must be ${size}×${size} pixels, not ${png.width}×${png.height}`);
}

/** Problems with the colour icon; empty when it is fine. */
export function checkColorIcon(icon: IconFile): string[] {
  const problems: string[] = [];
  const png = decode(icon, problems);
  if (!png) return problems;
  checkSize(icon, png, COLOR_ICON_SIZE, problems);
  let visible = 0;
  for (let i = 3; i < png.rgba.length; i += 4) if (png.rgba[i] > 0) visible++;
  if (visible === 0) problems.push(`${icon.name} is fully transparent`);
  return problems;
}

/** Problems with the outline icon; empty when it is fine. Partly transparent white edges are allowed. */
export function checkOutlineIcon(icon: IconFile): string[] {
  const problems: string[] = [];
  const png = decode(icon, problems);
  if (!png) return problems;
  checkSize(icon, png, OUTLINE_ICON_SIZE, problems);
  let transparent = 0;
  let visible = 0;
  let offWhite = 0;
  let firstOffWhite = '';
  for (let p = 0; p < png.width * png.height; p++) {
    const [r, g, b, a] = png.rgba.subarray(p * 4, p * 4 + 4);
    if (a === 0) {
      transparent++;
      continue;
    }
    visible++;
    if (r !== 255 || g !== 255 || b !== 255) {
      if (offWhite++ === 0) firstOffWhite = ` (first at x=${p % png.width}, y=${Math.floor(p / png.width)}: rgba(${r}, ${g}, ${b}, ${a}))`;
    }
  }
  if (visible === 0) problems.push(`${icon.name} is fully transparent`);
  if (transparent === 0) problems.push(`${icon.name} must have a transparent background; no pixel is transparent`);
  if (offWhite > 0) problems.push(`${icon.name} must be white (255, 255, 255) on transparent: ${offWhite} visible pixel(s) are not white${firstOffWhite}`);
  return problems;
}
