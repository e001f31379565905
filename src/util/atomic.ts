import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes a file atomically: temp file in the same folder, fsync, rename. A kill at any
 * moment leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    if (typeof data === 'string') fs.writeSync(fd, data);
    else fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes JSON atomically, pretty-printed. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Replaces a whole directory atomically-enough: build it under a temp name beside the
 * target, then rename over. On failure the temp folder is removed and the target untouched.
 */
export function replaceDirAtomic(target: string, build: (tmpDir: string) => void): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    build(tmp);
    const old = `${target}.old-${process.pid}-${Date.now()}`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
