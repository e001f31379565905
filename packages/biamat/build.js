/**
 * Builds the library the `biamat` package serves (src/ → dist/: CommonJS and declarations, by
 * tsconfig.build.json) and keeps it fresh. A fingerprint of the inputs (every file under src/
 * with its size and modification time, and the tsconfigs) is stored beside the build;
 * `ensureBuilt()` rebuilds only when it differs, so an edit to src/ is picked up by the next
 * `import … from 'biamat'`, kernel start, `npm run lab` or `npm run repro`. A lock directory keeps
 * two processes (two kernels, parallel tests) from building at once. BIAMAT_PIN_DIST=1 (set by
 * `npm run repro` for its kernels, after it built) keeps the build as it is, so one run never
 * mixes two versions of the library when src/ is edited meanwhile.
 *
 *   node packages/biamat/build.js            build when stale (npm run build; npm ci's prepare)
 *   node packages/biamat/build.js --force    build
 *   node packages/biamat/build.js --check    exit 1 when dist/ is stale or missing
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.src-fingerprint');
const LOCK = path.join(DIST, '.build-lock');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];
/** A lock older than this was left by a killed build. */
const STALE_LOCK_MS = 10 * 60 * 1000;

function listFiles(p, out) {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    out.push(`${path.relative(ROOT, p)}\0${st.size}\0${st.mtimeMs}`);
    return;
  }
  for (const name of fs.readdirSync(p)) listFiles(path.join(p, name), out);
}

/** A hash of the build's inputs: their paths, sizes and modification times. */
function fingerprint() {
  const entries = [];
  for (const input of INPUTS) listFiles(path.join(ROOT, input), entries);
  return crypto.createHash('sha256').update(entries.sort().join('\n')).digest('hex');
}

/** dist/ holds a build of the current src/. */
function isFresh() {
  if (!fs.existsSync(path.join(DIST, 'index.js')) || !fs.existsSync(path.join(DIST, 'index.d.ts')))
    return false;
  try {
    return fs.readFileSync(STAMP, 'utf8').trim() === fingerprint();
  } catch {
    return false;
  }
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding the build lock (waits for another process's build to finish first). */
function withLock(fn) {
  fs.mkdirSync(DIST, { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const st = fs.statSync(LOCK, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      else sleep(200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Compiles src/ into dist/; a type error in src/ is an error naming the file and line. */
function build(log) {
  const inputs = fingerprint();
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`biamat: cannot run the TypeScript compiler (${tsc}): ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(
      `biamat: building dist/ from src/ failed (tsc -p tsconfig.build.json):\n${`${r.stdout}${r.stderr}`.trim()}\n` +
        '  → fix the errors above; the next import (or npm run build) builds again',
    );
  }
  const tmp = `${STAMP}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${inputs}\n`);
  fs.renameSync(tmp, STAMP);
  log(`biamat: built dist/ from src/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/**
 * Rebuilds dist/ when src/ changed since the last build (or dist/ is missing). Returns whether
 * it built. Cheap when fresh: one stat per source file.
 */
function ensureBuilt(opts = {}) {
  const log = opts.log || ((line) => console.log(line));
  // A harness run pins the build it made at its start, so every notebook of the run uses one library.
  if (process.env.BIAMAT_PIN_DIST === '1' && fs.existsSync(path.join(DIST, 'index.js'))) return false;
  if (isFresh()) return false;
  return withLock(() => {
    if (isFresh()) return false; // another process built it while we waited
    log('biamat: src/ changed since dist/ was built (or dist/ is missing): building dist/ …');
    build(log);
    return true;
  });
}

module.exports = { ensureBuilt, isFresh, fingerprint, ROOT, DIST };

if (require.main === module) {
  const args = process.argv.slice(2);
  try {
    if (args.includes('--check')) {
      const fresh = isFresh();
      console.log(
        fresh ? 'biamat: dist/ is up to date with src/' : 'biamat: dist/ is stale or missing: npm run build',
      );
      process.exitCode = fresh ? 0 : 1;
    } else if (args.includes('--force')) withLock(() => build(console.log));
    else if (!ensureBuilt()) console.log('biamat: dist/ is up to date with src/');
  } catch (e) {
    console.error(e.message);
    process.exitCode = 1;
  }
}
