/** Types of build.js, for the TypeScript tools that call it (repro/). */
export interface EnsureOptions {
  /** Where the "building …" / "built" lines go (default console.log). */
  log?: (line: string) => void;
}
/** Rebuilds dist/ when src/ changed since the last build (or dist/ is missing); returns whether it built. */
export function ensureBuilt(opts?: EnsureOptions): boolean;
/** dist/ holds a build of the current src/. */
export function isFresh(): boolean;
/** A hash of the build's inputs (paths, sizes, modification times of src/ and the tsconfigs). */
export function fingerprint(): string;
export const ROOT: string;
export const DIST: string;
