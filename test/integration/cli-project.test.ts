import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/run-cli.js';

describe('ballast init', () => {
  it('scaffolds a project that validates, and refuses to overwrite without --force', async () => {
    const root = tempDir();
    const init = await runCli(['init', 'demo'], root);
    expect(init.code).toBe(0);
    const dir = join(root, 'demo');
    for (const f of [
      'ballast.yaml',
      'changes/example.yaml',
      'datasets/example.jsonl',
      'prompts/support-v1.md',
      '.gitignore',
    ]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('.ballast/');
    expect(init.stdout).toContain('npx ballast validate');

    const validate = await runCli(['validate'], dir);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('example: support-chat → support-v2 · risk medium · milestone 2026-Q4');
    expect(validate.stdout).toMatch(
      /valid: 1 provider\(s\), 2 variant\(s\), 1 route\(s\), 1 change\(s\); 0 errors, 0 warnings/,
    );

    writeFileSync(join(dir, 'prompts/support-v1.md'), 'edited by hand\n');
    const again = await runCli(['init', 'demo'], root);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('Refusing to overwrite existing files');
    expect(again.stderr).toContain('prompts/support-v1.md');
    expect(readFileSync(join(dir, 'prompts/support-v1.md'), 'utf8')).toBe('edited by hand\n');

    const forced = await runCli(['init', 'demo', '--force'], root);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'prompts/support-v1.md'), 'utf8')).not.toBe('edited by hand\n');
  });
});

describe('ballast validate', () => {
  async function project() {
    const root = tempDir();
    await runCli(['init'], root);
    return root;
  }

  it('prints FILE:LINE:COL: field.path: message for every problem and exits 2', async () => {
    const root = await project();
    const change = join(root, 'changes/example.yaml');
    writeFileSync(
      change,
      readFileSync(change, 'utf8')
        .replace('auto_rollback: true', 'auto_rollbak: true')
        .replace('risk: medium', 'risk: extreme'),
    );
    const run = await runCli(['validate'], root);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      'changes/example.yaml:11:7: risk: expected one of low, medium, high, got "extreme"',
      'changes/example.yaml:48:3: rollout.auto_rollbak: unknown key (did you mean "auto_rollback"?)',
    ]);
    expect(run.stdout).toContain('invalid');
  });

  it('--json gives a machine-readable result with the parsed specs', async () => {
    const root = await project();
    const run = await runCli(['validate', '--json'], root);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ schemaVersion: 1, ok: true, diagnostics: [] });
    expect(out.changes[0]).toMatchObject({ id: 'example', file: 'changes/example.yaml' });
    expect(out.changes[0].spec.rollout.stages[0]).toMatchObject({ percent: 5, min_duration: 600_000 });
  });

  it('--config finds a project elsewhere; a missing project or env var is a usage error', async () => {
    const root = await project();
    const elsewhere = tempDir();
    expect((await runCli(['validate', '--config', join(root, 'ballast.yaml')], elsewhere)).code).toBe(0);
    const none = await runCli(['validate'], elsewhere);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No ballast.yaml');

    const yaml = join(root, 'ballast.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('seed: 42', 'seed: ${SIM_SEED}'));
    const unset = await runCli(['validate'], root);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain(
      'ballast.yaml:13:11: providers.sim.seed: environment variable SIM_SEED is not set',
    );
    expect((await runCli(['validate'], root, { SIM_SEED: '7' })).code).toBe(0);
  });
});

describe('ballast schema and usage errors', () => {
  it('prints JSON Schema generated from the parser definitions', async () => {
    const run = await runCli(['schema'], tempDir());
    expect(run.code).toBe(0);
    const { project, change } = JSON.parse(run.stdout);
    expect(project.additionalProperties).toBe(false);
    expect(project.properties.store.default).toBe('sqlite:.ballast/ballast.db');
    expect(change.required).toEqual(expect.arrayContaining(['id', 'route', 'candidate', 'risk']));
    expect(change.properties.rollout.properties.alpha.default).toBe(0.05);

    const one = JSON.parse((await runCli(['schema', '--kind', 'change'], tempDir())).stdout);
    expect(one.title).toBe('Ballast change spec (changes/<id>.yaml)');
    const out = tempDir();
    expect((await runCli(['schema', '--out', 'schemas'], out)).code).toBe(0);
    expect(existsSync(join(out, 'schemas/project.schema.json'))).toBe(true);
    expect((await runCli(['schema', '--kind', 'nope'], out)).code).toBe(2);
    const report = JSON.parse((await runCli(['schema', '--kind', 'report'], out)).stdout);
    expect(report.properties.schemaVersion).toBeDefined();
  });

  it('exits 2 on unknown commands and options, 0 on --help and --version', async () => {
    const dir = tempDir();
    const unknown = await runCli(['valdate'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('validate');
    expect((await runCli(['validate', '--nope'], dir)).code).toBe(2);
    const help = await runCli(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ballast');
    for (const cmd of ['init', 'validate', 'schema', 'db']) expect(help.stdout).toContain(cmd);
    expect((await runCli(['validate', '--help'], dir)).code).toBe(0);
    expect((await runCli(['--version'], dir)).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('behaviour found in review', () => {
  it('appends .ballast/ to an existing .gitignore instead of refusing or replacing it', async () => {
    const root = tempDir();
    writeFileSync(join(root, '.gitignore'), 'node_modules/');
    const run = await runCli(['init'], root);
    expect(run.code).toBe(0);
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('node_modules/\n.ballast/\n');
    expect(run.stdout).toContain('.gitignore (added .ballast/)');
    expect((await runCli(['init', '--force'], root)).code).toBe(0);
    expect(readFileSync(join(root, '.gitignore'), 'utf8')).toBe('node_modules/\n.ballast/\n');
  });

  it('finds ballast.yaml from a subfolder, and names a missing --config file', async () => {
    const root = tempDir();
    await runCli(['init'], root);
    const fromChanges = await runCli(['validate'], join(root, 'changes'));
    expect(fromChanges.code).toBe(0);
    const missing = await runCli(['validate', '--config', 'nope.yaml'], root);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`--config: no such file: ${join(root, 'nope.yaml')}`);
  });

  it('lets db commands run while a change spec has errors, and exits 2 for `ballast db` alone', async () => {
    const root = tempDir();
    await runCli(['init'], root);
    writeFileSync(join(root, 'changes/broken.yaml'), 'id: broken\n');
    expect((await runCli(['validate'], root)).code).toBe(2);
    expect((await runCli(['db', 'migrate'], root)).code).toBe(0);
    expect(existsSync(join(root, '.ballast/ballast.db'))).toBe(true);
    const bare = await runCli(['db'], root);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('migrate');
  });
});
