// `cnnx export-torch`: the generated script's text, and (where a python3 with torch exists) its outputs against PyTorch-made expectations and cnnx.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { exportTorch, modulePaths } from '../../src/export/torch.js';
import { createEngine } from '../../src/engine/create.js';
import { readInput } from '../../src/io/image.js';
import { parseNpy } from '../../src/io/npy.js';
import { runNetwork, selectLayers } from '../../src/network/run.js';
import { loadNetwork, parseNetwork } from '../../src/network/load.js';
import { uniformTensor } from '../../src/network/tensors.js';
import type { Network } from '../../src/network/types.js';
import { compareWithTolerance, FIXTURES, ROOT, runCli, tempDir } from '../helpers.js';

const origin = { file: 'custom.json', dir: ROOT, hash: '0'.repeat(64) };

/** A spec exercising what has no one-line nn equivalent: symmetric and asymmetric padding, 'same' with an even kernel, names, random weights. */
const CUSTOM = {
  name: 'custom',
  input: { channels: 2, mean: [0.5, 0.25], std: [0.5, 2] },
  layers: [
    { type: 'conv2d', name: 'conv1', out_channels: 3, kernel_size: 3, padding: 2, padding_mode: 'symmetric', weight: { random: { seed: 11 } }, bias: { random: { seed: 12 } } },
    { type: 'leaky_relu', name: 'forward', negative_slope: 0.2 },
    { type: 'conv2d', name: 'conv-2', out_channels: 3, kernel_size: [2, 3], padding: [0, 1, 2, 1], padding_mode: 'reflect', groups: 3, weight: { random: { seed: 13 } }, flip: true },
    { type: 'conv2d', out_channels: 2, kernel_size: 4, padding: 'same', padding_mode: 'circular', weight: { random: { seed: 14 } } },
    { type: 'batchnorm2d', running_mean: [0.1, -0.2], running_var: [1.5, 0.5], weight: [1, 2], bias: [0, 0.5] },
    { type: 'maxpool2d', name: 'pool', kernel_size: 3, stride: 2, padding: 1, ceil_mode: true },
    { type: 'adaptive_avgpool2d', output_size: [3, null] },
  ],
};

async function custom(): Promise<{ net: Network; text: string }> {
  const net = await parseNetwork(CUSTOM, origin);
  return { net, text: exportTorch(net, { raw: CUSTOM, version: '0.0.0' }) };
}

describe('generated text', () => {
  test('module paths: cnnx names where Python reaches them, node{i} otherwise', async () => {
    const { net, text } = await custom();
    // "forward" is nn.Module's method, "conv-2" no identifier.
    expect(modulePaths(net.layers)).toEqual(['conv1', 'node1', 'node2', 'node3', 'node4', 'pool', 'node6']);
    expect(text).toContain(`        place(self, 'node1', nn.LeakyReLU(negative_slope=0.2))  # layers[1] (leaky_relu "forward")\n`);
    expect(text).toContain(`        x1 = self.node1(x0)\n        if stop == 1: return x1\n`);
    expect(text).toContain('NAMES = {\n    "input": -1,\n    "conv1": 0,\n    "forward": 1,\n    "conv-2": 2,\n    "pool": 5,\n}\n');
  });

  test('module paths follow dotted names into groups, and fall back on conflicts', async () => {
    const net = await parseNetwork({
      input: { channels: 1 },
      layers: [
        { type: 'relu', name: 'node3' },
        { type: 'relu', name: 'a.0.b' },
        { type: 'relu', name: 'a.0' }, // a.0 is already a group of modules
        { type: 'relu' },
        { type: 'relu', name: 'a.01' }, // [01] would read module "1"
        { type: 'add', name: 'sum', branches: [[{ type: 'relu', name: 'a.0.b.c' }], [{ type: 'relu', name: 'a.1' }], [{ type: 'relu', name: 'a._x' }]] },
        { type: 'relu', name: 'eval.x' },
      ],
    }, origin);
    expect(modulePaths(net.layers)).toEqual(['node3', 'a.0.b', 'node2', 'node3_', 'node4', 'node5', 'a.1', 'node7', null, 'node9']);
    const text = exportTorch(net);
    expect(text).toContain("        x1 = self.a[0].b(x0)\n");
    expect(text).toContain("        x8 = x5 + x6 + x7\n");
  });

  test('a branching network: modules at their names, forward in node order with group headers', async () => {
    const file = path.join(FIXTURES, 'branches', 'resnet_basic_stride2_projection', 'net.json');
    const text = exportTorch(await loadNetwork(file));
    expect(text).toContain("        place(self, 'layer2.0.downsample.0', nn.Conv2d(4, 8, kernel_size=(1, 1), stride=(2, 2), padding=(0, 0)");
    expect(text).toContain("        place(self, 'node2', nn.ReLU())  # layers[0].layers[0].branches[0][2] (relu)\n");
    expect(text).toContain([
      '        # layer2.0 (sequential)',
      '        #   layer2.0.add (add, 2 branches)',
      '        x0 = self.layer2[0].conv1(x)',
    ].join('\n'));
    expect(text).toContain([
      '        x5 = self.layer2[0].downsample[0](x)',
      '        if stop == 5: return x5',
      '        x6 = self.layer2[0].downsample[1](x5)',
      '        if stop == 6: return x6',
      '        x7 = x4 + x6',
    ].join('\n'));
    expect(text).toContain('        x15 = self.node15(x14)\n        return x15\n');
    expect(text).toContain("    'layer2.0.downsample.1.running_var': ('float32', (8,), \"\"\"\n");
    const fire = exportTorch(await loadNetwork(path.join(FIXTURES, 'branches', 'squeezenet_fire', 'net.json')));
    expect(fire).toContain('        #   layers[2].layers[2] (concat, 2 branches)\n');
    // fire2 names the concat's output: --layer fire2 stops there.
    expect(fire).toContain('        x8 = torch.cat([x5, x7], dim=1)\n        if stop == 8: return x8\n        # fire3 (sequential)\n');
  });

  test('padding: symmetric and asymmetric go through PaddedConv2d, symmetric pairs use Conv2d padding', async () => {
    const { text } = await custom();
    expect(text).toContain("        place(self, 'conv1', PaddedConv2d((2, 2, 2, 2), 'symmetric', 2, 3, kernel_size=(3, 3), stride=(1, 1), padding=0, dilation=(1, 1), groups=1, bias=True, padding_mode='zeros'))\n");
    expect(text).toContain("        place(self, 'node2', PaddedConv2d((0, 1, 2, 1), 'reflect', 3, 3, kernel_size=(2, 3)");
    // 'same' with an even kernel: 1 before, 2 after.
    expect(text).toContain("        place(self, 'node3', PaddedConv2d((1, 2, 1, 2), 'circular'");
    expect(text).toContain('class PaddedConv2d(nn.Conv2d):');
    expect(text).toContain("nn.MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=True)");
    expect(text).toContain('nn.AdaptiveAvgPool2d((3, None))');
    expect(text).toContain('MEAN = [0.5, 0.25]\nSTD = [0.5, 2]\nNORMALIZE_NPY = False\n');
  });

  test('weights: state_dict keys; random regenerated by seed, flipped or loaded ones embedded', async () => {
    const { text } = await custom();
    expect(text).toContain("    'conv1.weight': ('random', (3, 2, 3, 3), 18, 11),\n");
    expect(text).toContain("    'conv1.bias': ('random', (3,), 18, 12),\n");
    expect(text).toMatch(/ {4}'node2\.weight': \('float32', \(3, 1, 2, 3\), """\n[A-Za-z0-9+/=\n]+"""\),\n/);
    expect(text).toContain("    'node4.running_var': ('float32', (2,), \"\"\"\n");
    expect(text).toContain("if __name__ == '__main__':\n    main()\n");
  });

  test('random weights inside groups are found by the node\'s JSON path', async () => {
    const spec = { input: { channels: 1 }, layers: [{ type: 'relu' }, { type: 'concat', branches: [[], [{ type: 'sequential', layers: [{ type: 'conv2d', name: 'c', out_channels: 2, kernel_size: 1, weight: { random: { seed: 7 } }, bias: { random: { seed: 8 } } }] }]] }] };
    const text = exportTorch(await parseNetwork(spec, origin), { raw: spec });
    expect(text).toContain("    'c.weight': ('random', (2, 1, 1, 1), 1, 7),\n    'c.bias': ('random', (2,), 1, 8),\n");
  });

  test('a conv with symmetric zero padding stays one nn.Conv2d', async () => {
    const net = await loadNetwork(path.join(ROOT, 'examples', 'seed-convnet.json'));
    const text = exportTorch(net);
    expect(text).toMatch(/place\(self, 'conv1', nn\.Conv2d\(3, 32, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\), dilation=\(1, 1\), groups=1, bias=True, padding_mode='zeros'\)\)\n/);
    expect(text).not.toContain('class PaddedConv2d');
  });

  test('the CLI prints the script on stdout', async () => {
    const r = await runCli(['export-torch', path.join(ROOT, 'examples', 'seed-convnet.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^#!\/usr\/bin\/env python3\n# PyTorch version of the cnnx network "seed-convnet"/);
    const file = path.join(tempDir(), 'sub', 'model.py');
    const written = await runCli(['export-torch', path.join(ROOT, 'examples', 'seed-convnet.json'), '-o', file]);
    expect(written.code).toBe(0);
    expect(written.stdout.length).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(r.stdout.toString());
  });
});

/** The first of `python3`, `/usr/bin/python3` that imports torch, numpy and PIL, or why none does. */
function findTorchPython(): { python: string | null; reason: string } {
  const reasons: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import torch, numpy, PIL'], { encoding: 'utf8' });
    if (r.status === 0) return { python, reason: '' };
    reasons.push(`${python}: ${r.error ? r.error.message : (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`)}`);
  }
  return { python: null, reason: reasons.join('; ') };
}

const { python, reason } = findTorchPython();
if (!python) console.log(`export-torch: skipping the PyTorch runs (no python3 with torch, numpy and PIL: ${reason})`);

describe.skipIf(!python)('generated scripts run in PyTorch', () => {
  const dir = tempDir();
  const CASES = ['stack_mixed', 'image_imagenet_normalize', 'kernels_sobel_bank_gray', 'batchnorm_inference', 'weights_safetensors_bf16', 'stack_seed_convnet_layer_relu1', 'gem_p4_5', 'normalize_eps_zeros', 'head_gem_normalize'];

  /** Runs every script's main() in one Python process (torch imports once). */
  function runAll(jobs: { script: string; args: string[] }[]): void {
    const driver = [
      'import importlib.util, json, sys',
      'for job in json.loads(sys.argv[1]):',
      "    spec = importlib.util.spec_from_file_location('model', job['script'])",
      '    module = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(module)',
      "    module.main(job['args'])",
    ].join('\n');
    execFileSync(python as string, ['-c', driver, JSON.stringify(jobs)], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  test('conformance cases match PyTorch 1.13 expectations; a custom stack and the random generator match cnnx', async () => {
    const jobs: { script: string; args: string[] }[] = [];
    const checks: { name: string; out: string; expected: () => Promise<{ data: Float32Array; shape: number[] }> }[] = [];
    for (const name of CASES) {
      const caseDir = path.join(FIXTURES, 'conformance', name);
      const meta = JSON.parse(readFileSync(path.join(caseDir, 'meta.json'), 'utf8')) as { args?: string[] };
      const input = ['input.npy', 'input.png'].map((f) => path.join(caseDir, f)).find((f) => spawnSync('test', ['-e', f]).status === 0) as string;
      const net = await loadNetwork(path.join(caseDir, 'net.json'));
      const script = path.join(dir, `${name}.py`);
      writeFileSync(script, exportTorch(net, { raw: JSON.parse(readFileSync(path.join(caseDir, 'net.json'), 'utf8')) }));
      const out = path.join(dir, `${name}.npy`);
      jobs.push({ script, args: [input, out, ...(meta.args ?? [])] });
      checks.push({ name, out, expected: async () => parseNpy(readFileSync(path.join(caseDir, 'expected.npy')), name) });
    }
    // The custom stack against cnnx itself (reference engine) on a .npy input, which mean/std leave
    // alone; and with normalize_npy, which applies them.
    const { net, text } = await custom();
    const script = path.join(dir, 'custom.py');
    writeFileSync(script, text);
    const inputFile = path.join(dir, 'custom-input.npy');
    const inputData = uniformTensor([2, 9, 11], 1, 5);
    const { encodeNpy } = await import('../../src/io/npy.js');
    writeFileSync(inputFile, encodeNpy([2, 9, 11], inputData));
    const normalizing = { ...CUSTOM, input: { ...CUSTOM.input, normalize_npy: true } };
    const netNpy = await parseNetwork(normalizing, origin);
    const scriptNpy = path.join(dir, 'custom-normalize-npy.py');
    writeFileSync(scriptNpy, exportTorch(netNpy, { raw: normalizing }));
    for (const [layer, spec, file] of [['conv1', net, script], ['pool', net, script], [null, net, script], [null, netNpy, scriptNpy]] as const) {
      const label = `${layer ?? 'last'}${spec === netNpy ? ' normalize_npy' : ''}`;
      const out = path.join(dir, `custom-${label.replace(' ', '-')}.npy`);
      jobs.push({ script: file, args: [inputFile, out, ...(layer ? ['--layer', layer] : [])] });
      checks.push({
        name: `custom ${label}`,
        out,
        expected: async () => {
          const engine = await createEngine({ kind: 'reference' });
          const x = await readInput(inputFile, inputFile, spec.input);
          const [o] = await runNetwork(engine, spec, x, selectLayers(spec, layer ? [layer] : []), inputFile);
          await engine.close();
          return { data: o.tensor.data, shape: [o.tensor.channels, o.tensor.height, o.tensor.width] };
        },
      });
    }
    runAll(jobs);
    for (const c of checks) {
      const actual = parseNpy(readFileSync(c.out), c.out);
      const expected = await c.expected();
      expect(actual.shape, c.name).toEqual(expected.shape);
      expect(compareWithTolerance(actual.data, expected.data, expected.shape), c.name).toBeNull();
    }
  });

  /** Node `layer`'s output (the last node's for null) by cnnx's reference engine, as (data, shape). */
  async function cnnxOutput(net: Network, inputFile: string, layer: string | null): Promise<{ data: Float32Array; shape: number[] }> {
    const engine = await createEngine({ kind: 'reference' });
    try {
      const x = await readInput(inputFile, inputFile, net.input);
      const [o] = await runNetwork(engine, net, x, selectLayers(net, layer ? [layer] : []), inputFile);
      return { data: o.tensor.data, shape: [o.tensor.channels, o.tensor.height, o.tensor.width] };
    } finally {
      await engine.close();
    }
  }

  /** Exports `spec`, runs the script at each of `layers` (null: the last node) and compares with the reference engine. */
  async function checkAgainstCnnx(cases: { name: string; spec: string; input: string; layers: (string | null)[] }[], extraArgs: string[] = []): Promise<void> {
    const jobs: { script: string; args: string[] }[] = [];
    const checks: { label: string; out: string; net: Network; input: string; layer: string | null }[] = [];
    for (const c of cases) {
      const net = await loadNetwork(c.spec);
      const script = path.join(dir, `${c.name}.py`);
      writeFileSync(script, exportTorch(net, { raw: JSON.parse(readFileSync(c.spec, 'utf8')) }));
      for (const layer of c.layers) {
        const out = path.join(dir, `${c.name}-${layer ?? 'last'}.npy`);
        jobs.push({ script, args: [c.input, out, ...(layer ? ['--layer', layer] : []), ...extraArgs] });
        checks.push({ label: `${c.name} ${layer ?? 'last'}`, out, net, input: c.input, layer });
      }
    }
    runAll(jobs);
    for (const c of checks) {
      const actual = parseNpy(readFileSync(c.out), c.out);
      const expected = await cnnxOutput(c.net, c.input, c.layer);
      expect(actual.shape, c.label).toEqual(expected.shape);
      expect(compareWithTolerance(actual.data, expected.data, expected.shape), c.label).toBeNull();
    }
  }

  test('every branching case: the last node, every named group and the input match cnnx', async () => {
    const root = path.join(FIXTURES, 'branches');
    const cases = [];
    for (const name of readdirSync(root).filter((n) => existsSync(path.join(root, n, 'expected.npy')))) {
      const spec = path.join(root, name, 'net.json');
      const net = await loadNetwork(spec);
      const groups = net.groups.flatMap((g) => (g.name !== undefined ? [g.name] : []));
      cases.push({ name, spec, input: path.join(root, name, 'input.npy'), layers: [null, 'input', ...groups] });
    }
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases.find((c) => c.name === 'group_output_layer1')?.layers).toEqual([null, 'input', 'layer1.0.add', 'layer1.0', 'layer1.1.add', 'layer1.1', 'layer1', 'layer2.0.add', 'layer2.0']);
    await checkAgainstCnnx(cases);
  }, 120_000);

  test('imported torchvision models: the last node, groups and inner layers match cnnx; state_dict keys are the checkpoint\'s', async () => {
    const models: Record<string, string[]> = {
      resnet18: ['layer1', 'layer4.1', 'layer2.0.downsample'],
      squeezenet1_1: ['features.4', 'features.3.squeeze'],
      mobilenet_v2: ['features.3', 'features.1.conv'],
      densenet121: ['features.denseblock2', 'features.transition2'],
    };
    const cases = [];
    for (const [model, layers] of Object.entries(models)) {
      const spec = path.join(dir, model, 'net.json');
      const result = await runCli(['import', path.join(FIXTURES, 'import', model, 'model.pth'), '--arch', model, '--preset', 'none', '-o', spec]);
      expect(result.code, result.stderr).toBe(0);
      cases.push({ name: model, spec, input: path.join(FIXTURES, 'import', model, 'input.npy'), layers: [null, ...layers] });
    }
    // Float64 in PyTorch: the reference engine's sums are more exact than float32 ones over 100 layers.
    await checkAgainstCnnx(cases, ['--float64']);
    // The exported modules sit where torchvision's do: the checkpoint's keys (the classifier aside) are the script's.
    const code = [
      'import importlib.util, json, sys, torch',
      'for script, arch, checkpoint in json.loads(sys.argv[1]):',
      "    spec = importlib.util.spec_from_file_location('model', script)",
      '    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      '    ours = set(m.build_model().state_dict())',
      "    theirs = {k for k in torch.load(checkpoint) if not k.startswith(('fc.', 'classifier.'))}",
      "    print(arch, len(theirs), sorted(theirs - ours)[:5], sorted(ours - theirs)[:5])",
    ].join('\n');
    const report = execFileSync(python as string, ['-c', code, JSON.stringify(Object.keys(models).map((m) => [path.join(dir, `${m}.py`), m, path.join(FIXTURES, 'import', m, 'model.pth')]))], { encoding: 'utf8' });
    expect(report.trim().split('\n')).toEqual([
      expect.stringMatching(/^resnet18 \d+ \[\] \[\]$/),
      expect.stringMatching(/^squeezenet1_1 \d+ \[\] \[\]$/),
      expect.stringMatching(/^mobilenet_v2 \d+ \[\] \[\]$/),
      expect.stringMatching(/^densenet121 \d+ \[\] \[\]$/),
    ]);
  }, 300_000);

  test('names with quotes, backslashes, newlines and accents: the script parses and --layer finds them', async () => {
    const weird = ['a "quoted"\nname', 'back\\slash\u2028x', 'café.0'];
    const spec = {
      name: 'weird "names"',
      input: { channels: 1 },
      layers: [
        { type: 'conv2d', name: weird[0], out_channels: 2, kernel_size: 3, padding: 1, weight: { random: { seed: 1 } } },
        { type: 'concat', name: weird[1], branches: [[{ type: 'relu', name: weird[2] }], [{ type: 'sequential', name: 'g\r', layers: [{ type: 'hardtanh', min_val: -0.5, max_val: 0.5 }] }]] },
      ],
    };
    const file = path.join(dir, 'weird.json');
    writeFileSync(file, JSON.stringify(spec));
    const input = path.join(dir, 'weird-input.npy');
    const { encodeNpy } = await import('../../src/io/npy.js');
    writeFileSync(input, encodeNpy([1, 5, 6], uniformTensor([1, 5, 6], 1, 3)));
    await checkAgainstCnnx([{ name: 'weird', spec: file, input, layers: [null, ...weird, 'g\r'] }]);
  });

  test('an unknown --layer is a usage error listing the names', async () => {
    const script = path.join(dir, 'names.py');
    writeFileSync(script, exportTorch(await loadNetwork(path.join(FIXTURES, 'branches', 'squeezenet_fire', 'net.json'))));
    const r = spawnSync(python as string, [script, path.join(FIXTURES, 'branches', 'squeezenet_fire', 'input.npy'), path.join(dir, 'x.npy'), '--layer', 'fire4'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("error: no layer or group named 'fire4'; names: input, conv, fire2.squeeze, fire2.expand1x1, fire2.expand3x3, fire2, ");
  });

  test('cnnx_random is bit-exact with uniformTensor', async () => {
    const { text } = await custom();
    const script = path.join(dir, 'random.py');
    writeFileSync(script, text);
    const code = [
      'import importlib.util, sys',
      "spec = importlib.util.spec_from_file_location('model', sys.argv[1])",
      'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
      'sys.stdout.write(m.cnnx_random((1000,), 27, 4294967295).numpy().astype("<f4").tobytes().hex())',
    ].join('\n');
    const hex = execFileSync(python as string, ['-c', code, script], { encoding: 'utf8' });
    expect(hex).toBe(Buffer.from(uniformTensor([1000], 27, 4294967295).buffer).toString('hex'));
  });
});
