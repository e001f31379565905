/**
 * Table 14 groups the aux images by CIFAR-10 class through CINIC-10's ImageNet synset lists,
 * which are not available offline. For the Tiny-ImageNet-32 stand-in (200 classes) this is a
 * hand mapping by WordNet hypernym, following CINIC-10's rule (a synset belongs to a CIFAR-10
 * class when it is a hyponym of that class's synset: car, domestic cat, dog, frog, bird, truck,
 * ship/boat). Tiny-ImageNet has no airplane, deer or horse classes: those rows stay empty.
 * Class names are tin32's (meta.json classNames).
 */
import { CIFAR10_CLASSES } from '../data';
import { mean } from '../util/stats';

export const TIN_SUPERCLASS: Record<string, string[]> = {
  airplane: [],
  automobile: ['beach wagon', 'convertible', 'limousine', 'sports car'],
  bird: ['goose', 'black stork', 'king penguin', 'albatross'],
  cat: ['tabby', 'Persian cat', 'Egyptian cat'],
  deer: [],
  dog: [
    'Chihuahua',
    'Yorkshire terrier',
    'golden retriever',
    'Labrador retriever',
    'German shepherd',
    'standard poodle',
  ],
  frog: ['bullfrog', 'tailed frog'],
  horse: [],
  ship: ['lifeboat', 'gondola'],
  truck: ['moving van', 'police van'],
};

export interface SuperclassRatio {
  /** CIFAR-10 class, 'others' or 'all'. */
  row: string;
  /** Unweighted mean over member classes present (class-balanced subsets: ≈ the pooled share). */
  ratio: number;
  /** Member aux classes that were present. */
  classes: string[];
}

/**
 * Per-class ratios (runner.perClassHighRatio: class name → share above τ, plus 'all') grouped
 * by CIFAR-10 superclass, then 'others' and 'all'. Superclasses with no member present are left out.
 */
export function superclassRatios(perClass: Record<string, number>): SuperclassRatio[] {
  const names = Object.keys(perClass).filter((k) => k !== 'all');
  const mapped = new Set(Object.values(TIN_SUPERCLASS).flat());
  const out: SuperclassRatio[] = [];
  for (const sc of CIFAR10_CLASSES) {
    const members = TIN_SUPERCLASS[sc].filter((n) => n in perClass);
    if (members.length > 0)
      out.push({ row: sc, ratio: mean(members.map((n) => perClass[n])), classes: members });
  }
  const others = names.filter((n) => !mapped.has(n));
  if (others.length > 0)
    out.push({ row: 'others', ratio: mean(others.map((n) => perClass[n])), classes: others });
  if ('all' in perClass) out.push({ row: 'all', ratio: perClass.all, classes: names });
  return out;
}
