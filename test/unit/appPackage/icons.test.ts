import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { checkColorIcon, checkOutlineIcon, COLOR_ICON_SIZE, OUTLINE_ICON_SIZE } from '../../../src/appPackage/iconCheck.js';
import { REPO_ROOT } from '../../support/appPackage/projectCopy.js';

/** A square PNG whose pixels come from `pixel(x, y)` as [r, g, b, a]. */
function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const image = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) image.data.set(pixel(x, y), (y * size + x) * 4);
  return PNG.sync.write(image);
}

const whiteDisc = (size: number) => (x: number, y: number): [number, number, number, number] =>
  (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2 ? [255, 255, 255, 255] : [0, 0, 0, 0];

describe('Herald app icons', () => {
  const color = { name: 'color.png', data: readFileSync(join(REPO_ROOT, 'appPackage/color.png')) };
  const outline = { name: 'outline.png', data: readFileSync(join(REPO_ROOT, 'appPackage/outline.png')) };

  it('ships a 192×192 full-colour icon and a 32×32 white-on-transparent outline', () => {
    assert.deepEqual(checkColorIcon(color), []);
    assert.deepEqual(checkOutlineIcon(outline), []);
    const decodedColor = PNG.sync.read(color.data);
    assert.deepEqual([decodedColor.width, decodedColor.height], [COLOR_ICON_SIZE, COLOR_ICON_SIZE]);
    const decodedOutline = PNG.sync.read(outline.data);
    assert.deepEqual([decodedOutline.width, decodedOutline.height], [OUTLINE_ICON_SIZE, OUTLINE_ICON_SIZE]);
  });

  it('draws the colour symbol inside the padding, leaving a plain border', () => {
    const { data, width } = PNG.sync.read(color.data);
    const at = (x: number, y: number) => [...data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];
    const background = at(0, 0);
    assert.equal(background[3], 255, 'opaque background');
    // The symbol sits in the middle ~96 px; the outer 40 px on every side are background.
    for (let i = 0; i < width; i++) {
      for (const [x, y] of [[i, 39], [i, width - 40], [39, i], [width - 40, i]]) assert.deepEqual(at(x, y), background, `border pixel ${x},${y}`);
    }
    const colours = new Set<string>();
    for (let p = 0; p < data.length; p += 4) colours.add(data.subarray(p, p + 3).join(','));
    assert.ok(colours.size > 50, 'full colour, anti-aliased');
  });

  it('rejects icons of the wrong size', () => {
    assert.deepEqual(checkColorIcon({ name: 'color.png', data: png(96, () => [10, 20, 30, 255]) }), ['color.png must be 192×192 pixels, not 96×96']);
    assert.deepEqual(checkOutlineIcon({ name: 'outline.png', data: png(48, whiteDisc(48)) }), ['outline.png must be 32×32 pixels, not 48×48']);
  });

  it('rejects an outline that is not white or has no transparent background', () => {
    const inSquare = (x: number, y: number) => x >= 14 && x < 18 && y >= 14 && y < 18;
    const grey = png(32, (x, y) => (inSquare(x, y) ? [200, 200, 200, 255] : [0, 0, 0, 0]));
    assert.deepEqual(checkOutlineIcon({ name: 'outline.png', data: grey }), [
      'outline.png must be white (255, 255, 255) on transparent: 16 visible pixel(s) are not white (first at x=14, y=14: rgba(200, 200, 200, 255))',
    ]);
    const opaque = png(32, () => [255, 255, 255, 255]);
    assert.deepEqual(checkOutlineIcon({ name: 'outline.png', data: opaque }), ['outline.png must have a transparent background; no pixel is transparent']);
  });

  it('accepts partly transparent white edges on the outline', () => {
    const soft = png(32, (x, y) => [255, 255, 255, whiteDisc(32)(x, y)[3] > 0 ? 255 : x === 0 ? 128 : 0]);
    assert.deepEqual(checkOutlineIcon({ name: 'outline.png', data: soft }), []);
  });

  it('rejects files that are not PNGs and icons with nothing drawn', () => {
    const [problem] = checkColorIcon({ name: 'color.png', data: Buffer.from('GIF89a not a png') });
    assert.match(problem, /^color\.png is not a readable PNG/);
    assert.deepEqual(checkColorIcon({ name: 'color.png', data: png(192, () => [0, 0, 0, 0]) }), ['color.png is fully transparent']);
  });
});
