import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../../util/errors';

export const IMAGE_EXTENSIONS = /\.(jpe?g|png)$/i;

/**
 * Decodes one JPEG or PNG (by magic bytes) into H×W×3 RGB bytes and checks its size.
 * Grey images are replicated to RGB; alpha is dropped. Decoder limits guard against
 * decompression bombs in untrusted archives.
 */
export function decodeImage(
  bytes: Uint8Array,
  file: string,
  expect: { height: number; width: number },
): Uint8Array {
  let width: number, height: number, rgb: Uint8Array;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let img: { width: number; height: number; data: Uint8Array };
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: 16,
        maxMemoryUsageInMB: 256,
      });
    } catch (e) {
      throw new UserError(
        `${file}: cannot decode JPEG (${(e as Error).message})`,
        'remove or replace the damaged image',
      );
    }
    ({ width, height } = img);
    rgb = img.data;
  } else if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    let png: PNG;
    try {
      png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      throw new UserError(
        `${file}: cannot decode PNG (${(e as Error).message})`,
        'remove or replace the damaged image',
      );
    }
    ({ width, height } = png);
    rgb = new Uint8Array(width * height * 3);
    for (let p = 0; p < width * height; p++) {
      rgb[3 * p] = png.data[4 * p];
      rgb[3 * p + 1] = png.data[4 * p + 1];
      rgb[3 * p + 2] = png.data[4 * p + 2];
    }
  } else {
    throw new UserError(
      `${file}: neither JPEG nor PNG (unknown magic bytes)`,
      'remove the file from the image folder',
    );
  }
  if (width !== expect.width || height !== expect.height)
    throw new UserError(
      `${file}: image is ${width}×${height}, expected ${expect.width}×${expect.height}`,
      `downsample every image to ${expect.width}×${expect.height} first (the paper uses 32×32 versions of all datasets)`,
    );
  return rgb;
}
