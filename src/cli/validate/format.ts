import type { Problem, ValidationReport } from '../../core/index.ts';

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One line per problem: severity, check, model (and version), file, reason. */
export function problemLine(p: Problem): string {
  const model = p.model ? `${p.namespace ? `${p.namespace}::` : ''}${p.model}${p.version ? ` version ${p.version}` : ''}` : '';
  const subject = [model, p.file].filter(Boolean).join(' ');
  return `${p.severity === 'error' ? 'error' : 'info '} [${p.check}] ${subject}: ${oneLine(p.message)}`;
}

/** The human report: the problems, then a summary line saying whether the repositories passed. */
export function formatReport(report: ValidationReport): string {
  const s = report.summary;
  const lines = report.problems.map(problemLine);
  const counts = `${plural(s.models, 'model')}, ${plural(s.versions, 'version')} (${s.ready} READY); ${plural(s.errors, 'error')}, ${s.infos} info`;
  lines.push(`${report.ok ? 'passed' : 'FAILED'}: ${counts}`);
  return lines.join('\n');
}
