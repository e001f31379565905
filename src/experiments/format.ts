/** One line per experiment result, for CLIs and notebook logs: ours (mean ± sd over seeds) | paper. */
import type { ExperimentResult } from './runner';

export function formatResult(r: ExperimentResult): string {
  if (r.status === 'unavailable') return `${r.id}: ${r.reason}`;
  const f = (k: string) =>
    r.mean[k] === undefined
      ? ''
      : ` ${k} ${r.mean[k].toFixed(2)}${r.seeds.length > 1 ? `±${r.std[k].toFixed(2)}` : ''}`;
  const p = r.paper as Record<string, unknown>;
  const paper = ['clean', 'pgd', 'cw', 'aa', 'fgsm', 'error']
    .filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${p[k]}`)
    .join(' ');
  if (r.perClassHighRatio) {
    const { all, ...perClass } = r.perClassHighRatio;
    const top = Object.entries(perClass)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([k, v]) => `${k} ${v.toFixed(3)}`)
      .join(', ');
    return `${r.id} [${r.profile}]: higher-than-threshold ratio all ${all.toFixed(3)} over ${Object.keys(perClass).length} aux classes (top: ${top}) | paper: all ${r.paper.perClass?.all}`;
  }
  const stages = Object.keys(r.mean).filter((k) => k.startsWith('aa:'));
  const aaStages = stages.length
    ? ` (after ${stages.map((k) => `${k.slice(3)} ${r.mean[k].toFixed(2)}`).join(', ')})`
    : '';
  const s = r.seeds[0];
  const sel =
    s && s.tau !== null ? ` | τ ${s.tau.toFixed(3)} r(n_high/n_aux) ${s.ratioHigh?.toFixed(2) ?? '-'}` : '';
  return `${r.id} [${r.profile}${r.status === 'partial' ? ', partial' : ''}]:${f('clean')}${f('pgd')}${f('cw')}${f('aa')}${aaStages}${f('fgsm')}${f('error')}${sel} | paper: ${paper}`;
}
