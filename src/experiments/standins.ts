/**
 * Which local dataset stands in for each of the paper's datasets (spec §5). A local name may
 * carry a class range, 'tin32#0-99' = classes 0..99 relabelled 0..99.
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
import { readCacheMeta } from '../data';
import type { PaperDataset } from './schema';
import type { Profile } from './scale';

/** Whether a local dataset has been imported. */
export type DataPresence = (name: string) => boolean;

export const defaultPresence: DataPresence = (name) => {
  try {
    return readCacheMeta(name) != null;
  } catch {
    return false;
  }
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

/** Splits 'tin32#0-99' into the dataset name and the class range. */
export function parseLocalName(local: string): { name: string; classes: [number, number] | null } {
  const [name, range] = local.split('#');
  if (!range) return { name, classes: null };
  const [lo, hi] = range.split('-').map(Number);
  return { name, classes: [lo, hi] };
}
