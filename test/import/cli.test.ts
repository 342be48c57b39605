// `cnnx import` as a user runs it: the files it writes, the input block, --list-archs, usage errors, exit 2 with nothing written.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { runCli, tempDir } from '../helpers.js';
import { fixture, importMismatch, npy, onnxModel, specItems } from './helpers.js';

describe('cnnx import', () => {
  it('writes NET.json and NET.safetensors beside it; every tensor reference resolves to a tensor of that file', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'alex.json');
    const result = await runCli(['import', fixture('alexnet', 'model.pth'), '--arch', 'alexnet', '-o', out]);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/alex.json: 14 layers, 10 tensors \(0.0 MB\) in alex.safetensors/);
    expect(readdirSync(dir).sort()).toEqual(['alex.json', 'alex.safetensors']);
    const spec = JSON.parse(readFileSync(out, 'utf8'));
    expect(spec.name).toBe('alex');
    expect(spec.description).toMatch(/imported by cnnx .* from the alexnet checkpoint model.pth/);
    // torchvision's preprocessing by default with --arch.
    expect(spec.input).toEqual({ channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { shorter_side: 256, center_crop: 224 } });
    const st = parseSafetensors(readFileSync(path.join(dir, 'alex.safetensors')), 'alex.safetensors');
    const refs = JSON.stringify(spec).match(/"tensor":"[^"]+"/g)!.map((r) => r.slice(10, -1));
    expect(refs.sort()).toEqual(st.tensorNames().sort());
    expect(st.metadata).toMatchObject({ source: 'model.pth' });
  });

  it('Inception v3 takes torchvision\'s transforms for its weights (Resize 342, CenterCrop 299); explicit options still win', async () => {
    const dir = tempDir();
    const input = async (...extra: string[]): Promise<unknown> => {
      const out = path.join(dir, 'iv3.json');
      const result = await runCli(['import', fixture('inception_v3', 'model.safetensors'), '--arch', 'inception_v3', '-o', out, ...extra]);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')).input;
    };
    expect(await input()).toEqual({ channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { shorter_side: 342, center_crop: 299 } });
    expect(((await input('--resize', '320')) as { resize: unknown }).resize).toEqual({ shorter_side: 320 });
    expect(await input('--preset', 'none')).toEqual({ channels: 3 });
  });

  it('runs through cnnx apply: an imported VGG (ImageNet preprocessing by default) on a normalised .npy matches PyTorch', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'vgg.json');
    // The spec's mean/std are for images: the .npy is already the tensor the first layer sees.
    expect((await runCli(['import', fixture('vgg11_bn', 'model.pth'), '--arch', 'vgg11_bn', '-o', out])).code).toBe(0);
    const result = await runCli(['apply', out, fixture('vgg11_bn', 'input.npy'), '-o', path.join(dir, 'y.npy'), '-q']);
    expect(result.stderr).toBe('');
    expect(importMismatch(await npy(path.join(dir, 'y.npy')), await npy(fixture('vgg11_bn', 'out_avgpool.npy')))).toBeNull();
  });

  it('preprocessing options: ONNX has none by default; --preset, --mean, --std, --resize, --center-crop', async () => {
    const dir = tempDir();
    const spec = async (...args: string[]): Promise<Record<string, unknown>> => {
      const out = path.join(dir, 'n.json');
      const result = await runCli(['import', fixture('vgg11_bn', 'model.onnx'), '-o', out, ...args]);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(readFileSync(out, 'utf8')).input;
    };
    expect(await spec()).toEqual({ channels: 3 });
    expect(await spec('--preset', 'imagenet', '--resize', '320', '--center-crop', '288')).toEqual({ channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], resize: { shorter_side: 320, center_crop: 288 } });
    expect(await spec('--mean', '0.5', '--std', '0.25,0.5,1', '--resize', '240x320')).toEqual({ channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1], resize: { height: 240, width: 320, fit: 'fill' } });
  });

  it('names a model exported from a torchvision model.features as torchvision does, saying so; --prefix chooses', async () => {
    const dir = tempDir();
    const names = async (...args: string[]): Promise<{ names: string[]; stderr: string }> => {
      const out = path.join(dir, 'n.json');
      const result = await runCli(['import', fixture('vgg11_bn', 'model.onnx'), '-o', out, ...args]);
      expect(result.code, result.stderr).toBe(0);
      const items = specItems<{ name: string; type: string }>(JSON.parse(readFileSync(out, 'utf8')).layers);
      return { names: items.map((item) => item.name).slice(0, 3), stderr: result.stderr };
    };
    const inferred = await names();
    expect(inferred.names).toEqual(['features', 'features.0', 'features.2']);
    expect(inferred.stderr).toMatch(/^.*model.onnx: its top-level modules are those of a torchvision model.features: names start with "features." as in torchvision \(--prefix '' keeps the exported names\)\n/);
    const bare = await names('--prefix', '');
    expect(bare.names).toEqual(['0', '2', '3']);
    expect(bare.stderr).not.toMatch(/top-level modules/);
    expect((await names('--prefix', 'backbone')).names).toEqual(['backbone', 'backbone.0', 'backbone.2']);
  });

  it('an ONNX export and a checkpoint of one model name their adds, concats and functional pools alike (torch.fx\'s names)', async () => {
    const dir = tempDir();
    const joins = async (args: string[]): Promise<string[]> => {
      const out = path.join(dir, 'n.json');
      const result = await runCli(['import', ...args, '-o', out]);
      expect(result.code, result.stderr).toBe(0);
      const items = specItems<{ name?: string; type: string }>(JSON.parse(readFileSync(out, 'utf8')).layers);
      return items.filter((item) => ['add', 'concat'].includes(item.type) || /\.(avg|max)_pool2d$/.test(item.name ?? '')).map((item) => `${item.type} ${item.name}`);
    };
    for (const [arch, until] of [['googlenet', '/avgpool/GlobalAveragePool'], ['squeezenet1_1', null], ['resnet18', '/avgpool/GlobalAveragePool']] as const) {
      const fromOnnx = await joins([fixture(arch, 'model.onnx'), ...(until ? ['--until', until] : [])]);
      const fromCheckpoint = await joins([fixture(arch, 'model.pth'), '--arch', arch]);
      expect(fromOnnx.length, arch).toBeGreaterThan(0);
      expect(fromOnnx, arch).toEqual(fromCheckpoint);
    }
  });

  it('--list-archs prints the templates on stdout', async () => {
    const result = await runCli(['import', '--list-archs']);
    expect(result.code).toBe(0);
    const lines = result.stdout.toString().trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(26);
    expect(lines).toContain('densenet121        DenseNet, blocks 6-12-24-16: features, relu, avgpool');
  });

  it('replaces an existing spec and its weights whole', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'n.json');
    writeFileSync(out, 'old');
    writeFileSync(path.join(dir, 'n.safetensors'), 'old');
    expect((await runCli(['import', fixture('vgg13', 'model.pth'), '--arch', 'vgg13', '-o', out])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).name).toBe('n');
    expect(parseSafetensors(readFileSync(path.join(dir, 'n.safetensors')), 'n').tensorNames()).toContain('features.0.weight');
    expect(readdirSync(dir).sort()).toEqual(['n.json', 'n.safetensors']);
  });

  it('exits 2 with one line and writes nothing when it cannot import', async () => {
    const cases: [string[], RegExp][] = [
      [[fixture('resnet18', 'model.onnx')], /^cnnx: .*model.onnx: node \d+ "\/Flatten" \(Flatten\): not a conv-network op; cnnx imports feature extractors: add --until \/avgpool\/GlobalAveragePool to keep the graph up to that node$/],
      [[fixture('resnet18', 'model.pth')], /^cnnx: .*model.pth: a checkpoint holds weights only: name its architecture with --arch NAME \(cnnx import --list-archs\)$/],
      [[fixture('resnet18', 'model.pth'), '--arch', 'resnet34'], /^cnnx: .*model.pth: resnet34: missing tensor "layer1.2.conv1.weight"/],
      [[fixture('resnet18', 'model.pth'), '--arch', 'resnet19'], /^cnnx: --arch resnet19: unknown architecture \(did you mean "resnet18"\?\)/],
      [[fixture('resnet18', 'model.onnx'), '--arch', 'resnet18'], /^cnnx: --arch is for checkpoints/],
      [[fixture('resnet18', 'model.pth'), '--arch', 'resnet18', '--until', 'x'], /^cnnx: --until is for ONNX models$/],
      [[fixture('resnet18', 'model.pth'), '--arch', 'resnet18', '--no-transform-input'], /^cnnx: --no-transform-input: resnet18 has no transform_input \(googlenet and inception_v3 have\)$/],
      [[fixture('googlenet', 'model.onnx'), '--no-transform-input'], /^cnnx: --no-transform-input is for checkpoints of googlenet and inception_v3; .*model.onnx is an ONNX model/],
      [[fixture('vgg11_bn', 'model.onnx'), '--mean', '0.5,0.5'], /^cnnx: --mean: the model reads 3 channels, so give 3 values/],
      [[fixture('vgg11_bn', 'model.onnx'), '--preset', 'imagnet'], /^cnnx: --preset imagnet: expected one of imagenet, none$/],
      [[fixture('vgg11_bn', 'model.onnx'), '--center-crop', '224'], /^cnnx: --center-crop goes with a shorter-side --resize N/],
      [[fixture('vgg11_bn', 'nothing.pth'), '--arch', 'vgg11_bn'], /^cnnx: .*nothing.pth: no such file$/],
      [[fixture('lrn', 'params.json'), '--arch', 'vgg11'], /^cnnx: .*params.json: expected a PyTorch checkpoint \(.pth, .pt\) or a .safetensors file$/],
    ];
    for (const [args, message] of cases) {
      const dir = tempDir();
      const result = await runCli(['import', ...args, '-o', path.join(dir, 'n.json')]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trimEnd(), args.join(' ')).toMatch(message);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(readdirSync(dir), args.join(' ')).toEqual([]);
    }
    const noOutput = await runCli(['import', fixture('alexnet', 'model.pth'), '--arch', 'alexnet']);
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toMatch(/^cnnx: import: -o NET.json is required/);
    const dir = tempDir();
    const notJson = await runCli(['import', fixture('alexnet', 'model.pth'), '--arch', 'alexnet', '-o', path.join(dir, 'n.safetensors')]);
    expect(notJson.stderr).toMatch(/the spec is a .json file \(its weights go beside it as n.safetensors\)/);
    expect(existsSync(path.join(dir, 'n.safetensors'))).toBe(false);
  });

  it('refuses a model whose spec would not load (a grouped conv over channels the graph does not hold): exit 2, nothing written', async () => {
    const dir = tempDir();
    // Conv of group 2 with weights [4, 3, 1, 1] reads 6 channels; the graph's input has 3.
    const model = onnxModel({ nodes: [{ op: 'Conv', inputs: ['input', 'w'], attrs: { group: 2, kernel_shape: [1, 1] } }], initializers: [{ name: 'w', dims: [4, 3, 1, 1], values: Array(12).fill(0.5) }] });
    writeFileSync(path.join(dir, 'm.onnx'), model);
    const out = path.join(dir, 'out');
    const result = await runCli(['import', path.join(dir, 'm.onnx'), '-o', path.join(out, 'n.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd()).toMatch(/^cnnx: .*m\.onnx: the spec it imports to would not load: .*n\.json: layers\[0\].*in_channels.*6.*3/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a spec name that is a folder before writing the weights beside it (exit 1, neither file replaced)', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'n.json'));
    writeFileSync(path.join(dir, 'n.safetensors'), 'old');
    const result = await runCli(['import', fixture('vgg13', 'model.pth'), '--arch', 'vgg13', '-o', path.join(dir, 'n.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd()).toMatch(/^cnnx: .*n\.json: cannot write the spec and its weights: it is a folder$/);
    expect(readFileSync(path.join(dir, 'n.safetensors'), 'utf8')).toBe('old');
    expect(readdirSync(dir).sort()).toEqual(['n.json', 'n.safetensors']);
  });
});
