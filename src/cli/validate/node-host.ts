// The Node side of `nereid validate` and `nereid config generate`: file-system repositories and the Node composition root.
import { fstatSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { createServer, repositoryMount } from '../../platform/node/index.ts';
import { outputFileProblem } from '../output-file.ts';
import type { ConfigHost } from './config-generate.ts';
import type { ValidateHost } from './command.ts';

const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;

function stdoutStat(): ReturnType<typeof fstatSync> | undefined {
  try {
    return fstatSync(1);
  } catch {
    return undefined;
  }
}

export const nodeValidateHost: ValidateHost = { isDirectory, repositoryMount, createServer };

export const nodeConfigHost: ConfigHost = {
  isDirectory,
  createServer,
  modelLocation(modelDir) {
    const dir = resolve(modelDir);
    return { mount: repositoryMount(dirname(dir)), name: basename(dir) };
  },
  outputProblem(file, modelDir, configName) {
    if (file !== undefined) return outputFileProblem('--output', file);
    // `nereid config generate m > m/config.pbtxt`: the shell emptied the config before we could read it.
    const out = stdoutStat();
    if (!out?.isFile()) return undefined;
    const configs = [join(modelDir, 'config.pbtxt'), ...(configName ? [join(modelDir, 'configs', `${configName}.pbtxt`)] : [])];
    for (const config of configs) {
      const st = statSync(config, { throwIfNoEntry: false });
      if (st && st.ino === out.ino && st.dev === out.dev) {
        return `standard output is ${config}, which the shell emptied before nereid could read it: restore it and use --output FILE`;
      }
    }
    return undefined;
  },
  write(file, text) {
    if (file === undefined) {
      process.stdout.write(text);
      return;
    }
    const tmp = `${file}.nereid-${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  },
};
