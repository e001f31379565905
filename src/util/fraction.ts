/**
 * Exact fractions for ε and step sizes, so results say 8/255 and 31/1000, never a rounded float:
 * 8/255 and 0.031 are easy to confuse, and AutoAttack's leaderboard once did (fra31/auto-attack#54).
 */
import { z } from 'zod';

export const fractionSchema = z.strictObject({
  num: z.number().int().nonnegative(),
  den: z.number().int().positive(),
});
export type Fraction = z.infer<typeof fractionSchema>;

export const frac = (num: number, den: number): Fraction => ({ num, den });
export const fracValue = (f: Fraction): number => f.num / f.den;
export const fracString = (f: Fraction): string => `${f.num}/${f.den}`;

/**
 * A float ε as an exact fraction string ('8/255', '31/1000'): the smallest denominator ≤ 100000
 * that reproduces it to float64 precision, k/255 preferred; the decimal when none does.
 */
export function epsFraction(eps: number): string {
  if (eps === 0) return '0';
  // Pixel-scale fractions stay over 255 ('4/255', not reduced to something else).
  const n255 = Math.round(eps * 255);
  if (Math.abs(n255 / 255 - eps) < 1e-12) return `${n255}/255`;
  for (let d = 1; d <= 100000; d++) {
    const n = Math.round(eps * d);
    if (n > 0 && Math.abs(n / d - eps) < 1e-12) return `${n}/${d}`;
  }
  return String(eps);
}
