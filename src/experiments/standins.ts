/**
 * The paper's datasets and what stands in for them here, described once: which local dataset
 * each profile uses, how a local dataset is named in results, the one sentence every report
 * prints about it, and which datasets the harness prepares before running the notebooks.
 * A local name may carry a class range: 'tin32#0-99' = classes 0..99 relabelled 0..99.
 *
 * | paper         | smoke / small (offline)       | paper profile                  |
 * |---------------|-------------------------------|--------------------------------|
 * | CIFAR-10      | cifar10 (JPEG copy)           | cifar10                        |
 * | SVHN          | mnist32 (digits, unrelated)   | svhn                           |
 * | ImageNet-32   | tin32 (ImageNet-derived)      | imagenet32                     |
 * | ImageNet-500k / -100k | tin32 (all of it)     | imagenet32 (first N images)    |
 * | ImgNet100     | tin32#0-99                    | imagenet32#0-99                |
 * | ImgNet900     | tin32#100-199                 | imagenet32#100-999             |
 * | CIFAR-100     | cifar100 only if imported     | cifar100                       |
 * | Places365     | places365 only if imported    | places365                      |
 */
import { parseLocalName, readCacheMeta } from '../data';
import type { Profile } from './profiles';
import type { PaperDataset } from './schema';

/** Whether a local dataset has been imported. */
export type DataPresence = (name: string) => boolean;

export const defaultPresence: DataPresence = (name) => {
  try {
    return readCacheMeta(name) != null;
  } catch {
    return false;
  }
};

/** How the paper names its datasets. */
export const PAPER_LABEL: Record<PaperDataset, string> = {
  cifar10: 'CIFAR-10',
  cifar100: 'CIFAR-100',
  svhn: 'SVHN',
  places365: 'Places365',
  imagenet32: 'ImageNet',
  imgnet100: 'ImgNet100',
  imgnet900: 'ImgNet900',
  imagenet500k: 'ImageNet-500k',
  imagenet100k: 'ImageNet-100k',
};

const OFFLINE: Record<PaperDataset, string | null> = {
  cifar10: 'cifar10',
  svhn: 'mnist32',
  imagenet32: 'tin32',
  imagenet500k: 'tin32',
  imagenet100k: 'tin32',
  imgnet100: 'tin32#0-99',
  imgnet900: 'tin32#100-199',
  cifar100: null,
  places365: null,
};

const OFFICIAL: Record<PaperDataset, string> = {
  cifar10: 'cifar10',
  svhn: 'svhn',
  imagenet32: 'imagenet32',
  imagenet500k: 'imagenet32',
  imagenet100k: 'imagenet32',
  imgnet100: 'imagenet32#0-99',
  imgnet900: 'imagenet32#100-999',
  cifar100: 'cifar100',
  places365: 'places365',
};

/** Local datasets that are copies or stand-ins: their name in results and the sentence every report prints. */
const LOCAL: Record<string, { label: string; note: string }> = {
  cifar10: {
    label: 'CIFAR-10 (JPEG copy)',
    note: 'CIFAR-10 comes from a lossy JPEG copy (about 0.9 KB per image): close to, not identical with, the official binaries',
  },
  mnist32: {
    label: 'MNIST-32 (stand-in for SVHN)',
    note: 'MNIST-32 (MNIST digits padded to 32×32×3) stands in for SVHN: both are digits, unrelated to CIFAR-10',
  },
  tin32: {
    label: 'Tiny-ImageNet-32 (stand-in for ImageNet 32×32)',
    note: 'Tiny-ImageNet-32 (200 classes, 100k images, lossy JPEG copy) stands in for downsampled ImageNet 32×32 (1000 classes, 1.28M)',
  },
  'tin32#0-99': {
    label: 'Tiny-ImageNet-32 classes 0–99 (stand-in for ImgNet100)',
    note: 'Tiny-ImageNet-32 classes 0–99 stand in for ImgNet100',
  },
  'tin32#100-199': {
    label: 'Tiny-ImageNet-32 classes 100–199 (stand-in for ImgNet900)',
    note: 'Tiny-ImageNet-32 classes 100–199 stand in for ImgNet900',
  },
};

/** The datasets the offline stand-ins come from: what the harness prepares before the result notebooks. */
export const OFFLINE_DATASETS: string[] = [
  ...new Set(
    Object.values(OFFLINE)
      .filter((l): l is string => l !== null)
      .map((l) => parseLocalName(l).name),
  ),
];

/** The local dataset for a paper dataset at a profile, or null when none is available offline. */
export function localDataset(
  paper: PaperDataset,
  profile: Profile,
  presence: DataPresence = defaultPresence,
): string | null {
  if (profile === 'paper') return OFFICIAL[paper];
  const standIn = OFFLINE[paper];
  if (standIn !== null) return standIn;
  return presence(OFFICIAL[paper]) ? OFFICIAL[paper] : null;
}

/** Local datasets in words ('CIFAR-10 (JPEG copy) + MNIST-32 (stand-in for SVHN)') and one note per stand-in or copy. */
export function describeData(locals: (string | null)[]): { data: string; notes: string[] } {
  const names = locals.filter((n): n is string => n !== null);
  return {
    data: names.map((n) => LOCAL[n]?.label ?? n).join(' + ') || 'none',
    notes: [...new Set(names.map((n) => LOCAL[n]?.note).filter((n): n is string => !!n))],
  };
}

/** The sentence a report prints for paper datasets that have neither a stand-in nor a local import. */
export function unavailableNote(missing: PaperDataset[]): string | null {
  if (missing.length === 0) return null;
  const names = [...new Set(missing.map((d) => PAPER_LABEL[d]))];
  const list =
    names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
  return `No offline copy of ${list} here: rows that need ${names.length > 1 ? 'them' : 'it'} stay inconclusive (import with npm run data -- import <name> --from <files>)`;
}

/** Whether a local dataset stands in for a different paper dataset (a JPEG copy of the same one does not). */
export function isStandIn(paper: PaperDataset, local: string | null): boolean {
  return local !== null && parseLocalName(local).name !== parseLocalName(OFFICIAL[paper]).name;
}
