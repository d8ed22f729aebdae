// Draws Herald's Teams app icons (a herald's trumpet with a hanging banner) and writes
// appPackage/color.png (192×192, full colour) and appPackage/outline.png (32×32, white on transparent).
// Run: node --import tsx scripts/makeIcons.ts — the PNGs are committed; rerun only to change the art.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

type Rgb = readonly [number, number, number];
interface Point {
  x: number;
  y: number;
}
/** A filled region in the artwork's own unit coordinates (x right, y down). */
type Region = (p: Point) => boolean;

interface Layer {
  region: Region;
  /** null cuts a hole (outline icon only). */
  color: Rgb | null;
}

// Trumpet axis and proportions, in artwork units.
const AXIS_Y = 0.4;
const BELL_START = 0.5;
const BELL_END = 0.94;
const BELL_HALF = 0.23;
const BANNER = { left: 0.15, right: 0.47, top: AXIS_Y, bottom: 0.88, notch: 0.13 };
const TILT_RADIANS = (-18 * Math.PI) / 180; // bell raised, as a herald sounds it

const ellipse =
  (cx: number, cy: number, rx: number, ry: number): Region =>
  ({ x, y }) =>
    ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1;
const circle = (cx: number, cy: number, r: number): Region => ellipse(cx, cy, r, r);

function starPolygon(cx: number, cy: number, outer: number, inner: number): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? outer : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    points.push({ x: cx + r * Math.cos(angle), y: cy + r * Math.sin(angle) });
  }
  return points;
}

function polygon(points: Point[]): Region {
  return ({ x, y }) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const a = points[i];
      const b = points[j];
      if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
    }
    return inside;
  };
}

/** The trumpet's parts; the tube is drawn thicker for the 32 px outline so it survives at that size. */
function trumpet(tubeHalf: number) {
  const bellHalfHeight = (x: number): number => {
    const t = (x - BELL_START) / (BELL_END - BELL_START);
    return tubeHalf + (BELL_HALF - tubeHalf) * Math.pow(t, 2.4);
  };
  const bell: Region = ({ x, y }) => x >= BELL_START && x <= BELL_END && Math.abs(y - AXIS_Y) <= bellHalfHeight(x);
  const banner: Region = ({ x, y }) => {
    if (x < BANNER.left || x > BANNER.right || y < BANNER.top) return false;
    // Swallow-tail: the lower edge rises to a notch in the middle.
    const half = (BANNER.right - BANNER.left) / 2;
    const fromCentre = Math.abs(x - (BANNER.left + half)) / half;
    return y <= BANNER.bottom - BANNER.notch * (1 - fromCentre);
  };
  const bannerCentre = (BANNER.left + BANNER.right) / 2;
  return {
    bell,
    bellLowerHalf: ((p) => bell(p) && p.y > AXIS_Y + 0.02) satisfies Region,
    tube: (({ x, y }) => x >= 0.1 && x <= BELL_START + 0.01 && Math.abs(y - AXIS_Y) <= tubeHalf) satisfies Region,
    mouthpiece: (({ x, y }) => x >= 0.03 && x <= 0.11 && Math.abs(y - AXIS_Y) <= tubeHalf + 0.035 * (1 - (x - 0.03) / 0.08)) satisfies Region,
    knob: circle(0.31, AXIS_Y, tubeHalf + 0.018),
    banner,
    bannerTrim: ((p) => banner(p) && p.y <= BANNER.top + tubeHalf + 0.05) satisfies Region,
    star: polygon(starPolygon(bannerCentre, 0.62, 0.085, 0.036)),
    emblemHole: circle(bannerCentre, 0.63, 0.06),
    mouthRim: ellipse(BELL_END, AXIS_Y, 0.04, BELL_HALF + 0.005),
    mouthInside: ellipse(BELL_END + 0.004, AXIS_Y, 0.024, BELL_HALF - 0.03),
  };
}

const GOLD: Rgb = [0xf6, 0xbe, 0x3b];
const GOLD_SHADE: Rgb = [0xe0, 0x9f, 0x24];
const GOLD_DEEP: Rgb = [0xa8, 0x6a, 0x12];
const RED: Rgb = [0xdc, 0x32, 0x4a];
const WHITE: Rgb = [255, 255, 255];
/** Also the manifest's accentColor (#4B3CA7). */
const BACKGROUND: Rgb = [0x4b, 0x3c, 0xa7];

const full = trumpet(0.032);
/** Painted bottom to top. */
const COLOR_LAYERS: Layer[] = [
  { region: full.banner, color: RED },
  { region: full.bannerTrim, color: GOLD_SHADE },
  { region: full.star, color: GOLD },
  { region: full.tube, color: GOLD },
  { region: full.mouthpiece, color: GOLD_SHADE },
  { region: full.knob, color: GOLD_SHADE },
  { region: full.bell, color: GOLD },
  { region: full.bellLowerHalf, color: GOLD_SHADE },
  { region: full.mouthRim, color: GOLD },
  { region: full.mouthInside, color: GOLD_DEEP },
];

const bold = trumpet(0.05);
const OUTLINE_LAYERS: Layer[] = [
  { region: bold.banner, color: WHITE },
  { region: bold.emblemHole, color: null },
  { region: bold.tube, color: WHITE },
  { region: bold.mouthpiece, color: WHITE },
  { region: bold.bell, color: WHITE },
  { region: bold.mouthRim, color: WHITE },
];

const rotate = ({ x, y }: Point, radians: number): Point => {
  const dx = x - 0.5;
  const dy = y - 0.5;
  return { x: 0.5 + dx * Math.cos(radians) - dy * Math.sin(radians), y: 0.5 + dx * Math.sin(radians) + dy * Math.cos(radians) };
};

/** Top-most layer at an artwork point (after tilting the art), or undefined for background. */
function layerAt(layers: Layer[], p: Point): Layer | undefined {
  const art = rotate(p, -TILT_RADIANS);
  for (let i = layers.length - 1; i >= 0; i--) if (layers[i].region(art)) return layers[i];
  return undefined;
}

interface Box {
  left: number;
  top: number;
  size: number;
}

/** Bounding box of the tilted artwork, so it can be centred in any symbol box. */
function artworkBounds(layers: Layer[]): { minX: number; minY: number; maxX: number; maxY: number } {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const steps = 600;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const p = { x: -0.25 + (1.5 * i) / steps, y: -0.25 + (1.5 * j) / steps };
      if (layerAt(layers, p)) {
        minX = Math.min(minX, p.x);
        maxX = Math.max(maxX, p.x);
        minY = Math.min(minY, p.y);
        maxY = Math.max(maxY, p.y);
      }
    }
  }
  return { minX, minY, maxX, maxY };
}

/** Renders layers into an RGBA buffer with supersampled anti-aliasing. */
function render(size: number, symbol: Box, layers: Layer[], background: Rgb | null, samples: number): Buffer {
  const bounds = artworkBounds(layers);
  const span = Math.max(bounds.maxX - bounds.minX, bounds.maxY - bounds.minY);
  const scale = symbol.size / span; // pixels per artwork unit
  const offsetX = symbol.left + (symbol.size - (bounds.maxX - bounds.minX) * scale) / 2;
  const offsetY = symbol.top + (symbol.size - (bounds.maxY - bounds.minY) * scale) / 2;
  const data = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = bounds.minX + (px + (sx + 0.5) / samples - offsetX) / scale;
          const y = bounds.minY + (py + (sy + 0.5) / samples - offsetY) / scale;
          const color = layerAt(layers, { x, y })?.color ?? background;
          if (color === null) continue;
          r += color[0];
          g += color[1];
          b += color[2];
          covered++;
        }
      }
      const i = (py * size + px) * 4;
      if (covered > 0) {
        data[i] = Math.round(r / covered);
        data[i + 1] = Math.round(g / covered);
        data[i + 2] = Math.round(b / covered);
      }
      data[i + 3] = Math.round((255 * covered) / (samples * samples));
    }
  }
  return data;
}

function encodePng(size: number, rgba: Buffer): Buffer {
  const png = new PNG({ width: size, height: size });
  rgba.copy(png.data);
  return PNG.sync.write(png, { colorType: 6 });
}

const appPackageDir = join(import.meta.dirname, '..', 'appPackage');
// Colour icon: symbol about 96 px inside 48 px padding, on a full-bleed background (Teams rounds the corners).
const color = render(192, { left: 48, top: 48, size: 96 }, COLOR_LAYERS, BACKGROUND, 4);
// Outline icon: white on transparent, filling the 32 px square with a 1 px margin.
const outline = render(32, { left: 1, top: 1, size: 30 }, OUTLINE_LAYERS, null, 8);
writeFileSync(join(appPackageDir, 'color.png'), encodePng(192, color));
writeFileSync(join(appPackageDir, 'outline.png'), encodePng(32, outline));
console.log(`wrote ${join(appPackageDir, 'color.png')} and ${join(appPackageDir, 'outline.png')}`);
