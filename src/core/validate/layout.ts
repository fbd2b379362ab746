import { isIgnoredName } from '../repository/fingerprint.ts';
import { isVersionName, type Repository } from '../repository/repository.ts';
import type { Problem } from './report.ts';

/** Sub-directories of a model directory that the server reads for other purposes than versions. */
const DATA_DIRS = new Set(['warmup', 'initial_state', 'configs']);

/**
 * Entries of a repository the server skips, reported as info: files beside the model directories,
 * model sub-directories that are not version numbers (Triton ignores `01` and `v1` with a warning),
 * and model files left outside any version directory. Dot entries and editor droppings are skipped
 * silently, as the server does.
 */
export async function layoutNotes(repo: Repository, namespace?: string): Promise<Problem[]> {
  const notes: Problem[] = [];
  const note = (file: string, message: string, model?: string) =>
    notes.push({ severity: 'info', check: 'layout', ...(model ? { model } : {}), ...(model && namespace !== undefined ? { namespace } : {}), file, message });
  for (const e of await repo.driver.list('')) {
    if (isIgnoredName(e.name) || e.kind === 'dir' || e.broken !== undefined) continue;
    note(`${repo.label}/${e.name}`, 'a file, not a model directory: ignored');
  }
  for (const model of await repo.listModels()) {
    let entries: Awaited<ReturnType<typeof repo.driver.list>>;
    try {
      entries = await repo.driver.list(model);
    } catch {
      continue; // an unreadable model directory fails its load, which is reported with the reason
    }
    const hasVersion = entries.some((e) => e.kind === 'dir' && isVersionName(e.name));
    for (const e of entries) {
      if (isIgnoredName(e.name)) continue;
      const file = `${repo.label}/${model}/${e.name}`;
      if (e.kind === 'dir') {
        if (isVersionName(e.name) || DATA_DIRS.has(e.name)) continue;
        const why = /^0\d+$/.test(e.name) ? 'a version number with a leading zero' : 'not a version number';
        note(file, `directory '${e.name}' is ${why}: ignored, not loaded as a version`, model);
      } else if (/^model\.[^.]+$/.test(e.name) && e.name !== 'model.pbtxt') {
        note(file, `model file outside any version directory: not loaded${hasVersion ? '' : ` (put it in ${model}/1/)`}`, model);
      }
    }
  }
  return notes;
}
