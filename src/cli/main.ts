// The cnnx command line: builds the commander program and maps every failure to one line and an exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import { CnnxError, EXIT } from '../errors.js';
import { parseShard } from '../batch/shard.js';
import { parseGrid } from '../render/grid-spec.js';
import { CONFORMANCE_TOLERANCE } from '../verify/compare.js';
import { commanderMessage, reportError } from './print-error.js';
import { examples, EXIT_CODES_HELP, HELP_CONFIGURATION } from './help.js';
import { exitOnSignals, quittingAtOnce } from '../batch/signals.js';
import { handleStdoutErrors } from '../batch/stdio.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A commander parser for integers in [min, max], refusing others with `expected`. */
function intArg(min: number, max: number, expected: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(expected);
    return n;
  };
}

const positiveInt = intArg(1, Infinity, 'expected a positive integer');
/** The fast engine runs at most 256 worker threads. */
const threadsArg = intArg(1, 256, 'expected an integer from 1 to 256');
const depthArg = intArg(0, Infinity, 'expected an integer >= 0');
const portArg = intArg(0, 65535, 'expected a port number, 0 to 65535 (0: a free port)');

function sizeArg(value: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new InvalidArgumentError('expected HxW, e.g. 224x224');
  return [Number(m[1]), Number(m[2])];
}

/** `Y,X` (non-negative integers) for --pixel and --input-pixel. */
function pixelArg(value: string): [number, number] {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('expected Y,X (row and column, 0-based)');
  return [Number(m[1]), Number(m[2])];
}

function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

function gridArg(value: string): { cols?: number; rows?: number } {
  try {
    return parseGrid(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^.*?: /, ''));
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

/** serve's default --max-pixels: every layer's maps of the image are held at once, so far below apply's. */
const SERVE_MAX_PIXELS = 16_777_216;
/** serve's default --max-upload. */
const SERVE_MAX_UPLOAD = 32 * 1024 * 1024;

/**
 * The program; each command's modules are imported when it runs, so `cnnx apply` does not load
 * the importers, the server or the Parquet reader (module loading is most of a small run's start).
 */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('cnnx')
    .description('Image feature extraction with convolutional networks: JSON network spec in, PyTorch-exact feature maps out.')
    .version(version)
    .showSuggestionAfterError(true)
    .configureHelp(HELP_CONFIGURATION)
    .configureOutput({ outputError: (text, write) => write(`cnnx: ${commanderMessage(text)}\n`) })
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();

  program
    .command('apply')
    .description('run a network on images or .npy arrays and write feature maps')
    .argument('<net>', 'network spec (.json)')
    .argument('[inputs...]', 'images, .npy files or folders; - reads one image or .npy from stdin')
    .usage('<net> [inputs...] -o <path> [options]')
    .option('-o, --output <path>', 'output: x.npy, x.png, x.safetensors, a folder (ending in /) mirroring the inputs, or - for stdout (required)')
    .option('--layer <name>', 'write this named layer (repeat or comma-separate; "all" for every named layer, "input" for the input tensor)', collect, [])
    .addOption(new Option('--format <format>', 'format in a folder or on stdout, whatever the number of inputs (default npy; safetensors: all layers of an image in one file; report: one self-contained index.html of the maps of one input; embeddings: one row per input in .npy matrices with .parquet indexes, see docs/embeddings.md)').choices(['npy', 'png', 'safetensors', 'report', 'embeddings']))
    .option('--keep-ext', "output names keep the input's extension (a.jpg -> a.jpg.npy), so a.jpg and a.png can share a folder")
    .option('--part-rows <n>', '--format embeddings: rows per part (default 100000; a part also closes before its .npy passes 1 GiB)', positiveInt)
    .option('--scale <mode>', 'PNG scaling: channel, global, none or pLOW-pHIGH (percentiles, e.g. p1-p99)', 'channel')
    .addOption(new Option('--cmap <name>', 'PNG colour map (diverging: blue-white-red centred at 0)').choices(['gray', 'viridis', 'magma', 'diverging']))
    .addOption(new Option('--sort <order>', 'PNG tile order: channel index, or decreasing mean |x|').choices(['index', 'energy']))
    .option('--grid <COLSxROWS>', 'PNG grid shape, e.g. 8x4, 8x or x4', gridArg)
    .option('--overlay', 'PNG: draw the map over a faded copy of the input, cells at their receptive-field centres')
    .addOption(new Option('--engine <engine>', 'compute engine').choices(['reference', 'fast']).default('fast'))
    .option('--threads <n>', 'worker threads for the fast engine (default: cores)', threadsArg)
    .option('--no-winograd', 'fast engine: direct convolutions only, slower; NaN and infinity then stay in the windows that hold them, as in PyTorch (Winograd turns a whole tile NaN)')
    .option('--no-fma', 'fast engine: multiply, then add, instead of fused multiply-adds (the default); results differ in the last bits')
    .option('--no-recursive', 'do not descend into sub-folders')
    .option('--from-list <file>', 'read input paths from FILE (- for stdin), one per line')
    .option('-0, --null', 'with --from-list: paths are NUL-separated (find -print0)')
    .option('--skip-existing', 'do not recompute inputs whose outputs already exist (resume a run)')
    .option('-j, --jobs <n>', 'images in flight at once (default: cores + 2, at least 4)', positiveInt)
    .option('--shard <i/n>', 'process only the I-th of N slices of the sorted inputs (1-based)', parseShard)
    .option('--report <file>', 'write one JSON line per input (path, output, status, error, ms) to FILE')
    .option('--fail-fast', 'stop at the first input that fails')
    .option('--max-pixels <n>', "refuse inputs with more pixels (height x width) than this, or that input.resize makes larger, before decoding (default: sharp's limit, 268402689)", positiveInt)
    .option('--max-memory <size>', 'stream huge images in row bands to keep memory under SIZE, e.g. 512M, 2G (default: half the free memory)')
    .option('--band-rows <n>', 'stream every image in bands of N output rows (a testing aid: results are identical)', positiveInt)
    .option('-q, --quiet', 'no progress or summary (errors are still printed)', false)
    .option('-v, --verbose', 'print each input as it completes')
    .addHelpText(
      'after',
      `
Examples:
  # edge maps of one photo as a labelled picture
  cnnx apply examples/edges.json photo.jpg -o edges.png
  # every named layer of one photo: an explorable index.html
  cnnx apply examples/seed-convnet.json photo.jpg --layer all --format report -o report/
  # a photo collection to arrays, mirroring the folders; resumable
  cnnx apply net.json photos/ -o feats/ --skip-existing --report run.jsonl
  # in a pipeline
  find photos -name '*.jpg' -print0 | cnnx apply net.json --from-list - -0 -o feats/
${EXIT_CODES_HELP}`,
    )
    .action(async (net: string, inputs: string[], opts) => {
      const { applyCommand } = await import('./apply.js');
      setExit(await applyCommand(net, inputs, opts));
    });

  program
    .command('inspect')
    .description('per layer: output shape, parameters, multiply-adds, activation bytes, receptive field, and warnings about border rows, ceil_mode and strides; per group: its output and totals')
    .argument('<net>', 'network spec (.json)')
    .option('--size <HxW>', 'input size', sizeArg)
    .option('--depth <n>', 'show groups nested at most N deep (0: the top level); deeper rows are summed up in their group\'s row', depthArg)
    .option('--json', 'machine-readable output (warnings: [{layer, code, message}], groups: [{name, type, path, first, last, ...}])', false)
    .addHelpText(
      'after',
      examples(
        ["the spec's own input size (its resize, else 224x224)", 'cnnx inspect examples/seed-convnet.json'],
        ['another input size', 'cnnx inspect examples/seed-convnet.json --size 512x512'],
        ['a ResNet by stage (its stem, layer1..layer4 as one row each, its pool)', 'cnnx import examples/models/resnet18-tiny.pth --arch resnet18 -o r18.json && cnnx inspect r18.json --depth 0'],
        ['the total multiply-adds, for a script', 'cnnx inspect examples/seed-convnet.json --json | jq .totalMacs'],
      ),
    )
    .action(async (file: string, opts: { size?: [number, number]; depth?: number; json: boolean }) => {
      const [{ loadNetwork }, { formatSummary, summarize }] = await Promise.all([import('../network/load.js'), import('../inspect/summary.js')]);
      const net = await loadNetwork(file);
      const size = opts.size ?? defaultSize(net);
      const summary = sizeGiven(() => summarize(net, { channels: net.input.channels, height: size[0], width: size[1] }));
      process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary, { depth: opts.depth }).join('\n')}\n`);
    });

  program
    .command('kernels')
    .description('list the named filters, or print one (values, picture, weights)')
    .argument('[name]', 'filter name, e.g. sobel-x or "gaussian:size=5,sigma=1.2"')
    .option('--png <file>', 'draw the filter as an enlarged picture')
    .option('--npy <file>', 'export the filter as (1, 1, kh, kw) float32 weights (a bank: (K, 1, kh, kw))')
    .option('--json', 'machine-readable output', false)
    .addHelpText(
      'after',
      examples(
        ['every preset, and the generators with their parameters', 'cnnx kernels'],
        ['one filter: description, source, convention, the matrix', 'cnnx kernels sobel-x'],
        ['a bank as a picture (blue < 0, white 0, red > 0)', 'cnnx kernels "gabor-bank:thetas=8" --png bank.png'],
      ),
    )
    .action(async (name: string | undefined, opts: { png?: string; npy?: string; json: boolean }) => {
      const { kernelsCommand } = await import('./kernels.js');
      await kernelsCommand(name, opts, (line) => process.stdout.write(`${line}\n`));
    });

  program
    .command('where')
    .description('the input pixels one output cell depends on (--pixel), or the output cells one input pixel reaches (--input-pixel)')
    .argument('<net>', 'network spec (.json)')
    .option('--layer <name>', 'named layer (default: the last layer)')
    .option('--pixel <Y,X>', 'output cell of the layer (row, column; 0-based)', pixelArg)
    .option('--input-pixel <Y,X>', 'input pixel (row, column; 0-based)', pixelArg)
    .option('--size <HxW>', 'input size (default: the spec\'s resize, else 224x224)', sizeArg)
    .option('--json', 'machine-readable output', false)
    .usage('<net> (--pixel <Y,X> | --input-pixel <Y,X>) [options]')
    .addHelpText(
      'after',
      examples(
        ['the input pixels that output cell (0, 0) of conv2 reads', 'cnnx where examples/seed-convnet.json --layer conv2 --pixel 0,0 --size 32x32'],
        ['the output cells of the last layer that input pixel (100, 100) reaches', 'cnnx where examples/seed-convnet.json --input-pixel 100,100 --json'],
      ),
    )
    .action(async (file: string, opts: { layer?: string; pixel?: [number, number]; inputPixel?: [number, number]; size?: [number, number]; json: boolean }) => {
      const [{ loadNetwork }, { whereCommand }] = await Promise.all([import('../network/load.js'), import('./where.js')]);
      const net = await loadNetwork(file);
      process.stdout.write(`${sizeGiven(() => whereCommand(net, opts.size ?? defaultSize(net), opts))}\n`);
    });

  program
    .command('verify')
    .description('run the network and compare a layer with an expected .npy from another framework; exit 0 pass, 1 fail, 2 usage/network/unreadable file')
    .argument('<net>', 'network spec (.json)')
    .argument('<input>', 'image or .npy input')
    .requiredOption('--against <expected.npy>', 'expected output, (C, H, W), (1, C, H, W) or (H, W) float')
    .option('--layer <name>', 'named layer to compare (default: the last layer; "input": the input tensor)')
    .option('--atol <a>', 'absolute tolerance, scaled by max(1, max|expected|)', numberArg, CONFORMANCE_TOLERANCE.atol)
    .option('--rtol <r>', 'relative tolerance; passes when every |cnnx - expected| <= atol * max(1, max|expected|) + rtol * |expected| (the conformance rule)', numberArg, CONFORMANCE_TOLERANCE.rtol)
    .addOption(new Option('--engine <engine>', 'compute engine').choices(['reference', 'fast']).default('fast'))
    .option('--threads <n>', 'worker threads for the fast engine (default: cores)', threadsArg)
    .option('--no-winograd', 'fast engine: direct convolutions only, slower; NaN and infinity then stay in the windows that hold them, as in PyTorch (Winograd turns a whole tile NaN)')
    .option('--no-fma', 'fast engine: multiply, then add, instead of fused multiply-adds (the default); results differ in the last bits')
    .usage('<net> <input> --against <expected.npy> [options]')
    .addHelpText(
      'after',
      examples(
        ["the last layer against PyTorch's output (export-torch writes the script)", 'cnnx verify net.json photo.png --against torch.npy'],
        ['one named layer, with a looser tolerance', 'cnnx verify net.json input.npy --against conv2.npy --layer conv2 --atol 1e-3'],
      ),
    )
    .action(async (file: string, input: string, opts) => {
      const { verifyCommand } = await import('./verify.js');
      setExit(await verifyCommand(file, input, opts, (line) => process.stdout.write(`${line}\n`)));
    });

  program
    .command('export-onnx')
    .description('write the network as an ONNX model (ai.onnx ops) for ONNX Runtime, OpenCV DNN or Netron')
    .argument('<net>', 'network spec (.json)')
    .requiredOption('-o, --output <file>', 'the .onnx file to write')
    .option('--size <HxW>', 'fix the input size (default: symbolic height and width)', sizeArg)
    .option('--opset <n>', 'ONNX opset, 11 to 22 (default 17; 19 with circular padding)', positiveInt)
    .option('--layer <name>', 'also expose this named layer as a graph output (repeat, or "all")', collect, [])
    .usage('<net> -o <file> [options]')
    .addHelpText(
      'after',
      examples(
        ['height and width left symbolic', 'cnnx export-onnx examples/seed-convnet.json -o net.onnx'],
        ['a fixed size, an older opset, and conv2 as a second output', 'cnnx export-onnx examples/seed-convnet.json -o net.onnx --size 224x224 --opset 13 --layer conv2'],
      ),
    )
    .action(async (file: string, opts: { output: string; size?: [number, number]; opset?: number; layer: string[] }) => {
      const [{ loadNetwork }, { exportOnnxCommand }] = await Promise.all([import('../network/load.js'), import('./export-onnx.js')]);
      await exportOnnxCommand(await loadNetwork(file), { output: opts.output, size: opts.size, opset: opts.opset, layers: opts.layer });
    });

  program
    .command('export-torch')
    .description('write a runnable PyTorch script (nn.Sequential with the same weights) to stdout or -o; python model.py INPUT OUT.npy runs it')
    .argument('<net>', 'network spec (.json)')
    .option('-o, --output <file>', 'write the script here instead of stdout')
    .addHelpText(
      'after',
      examples(
        ['the script, then its output for a photo (PyTorch and NumPy needed)', 'cnnx export-torch examples/seed-convnet.json -o model.py && python model.py photo.png torch.npy'],
        ['then compare it with cnnx', 'cnnx verify examples/seed-convnet.json photo.png --against torch.npy'],
      ),
    )
    .action(async (file: string, opts: { output?: string }) => {
      const { exportTorchCommand } = await import('./export-torch.js');
      const text = await exportTorchCommand(file, opts.output);
      if (text !== null) process.stdout.write(text);
    });

  program
    .command('import')
    .description('write a spec (NET.json + NET.safetensors) from an ONNX model, or from a PyTorch checkpoint of a torchvision architecture')
    .argument('[model]', 'model.onnx, or a checkpoint (.pth, .safetensors) with --arch')
    .option('-o, --output <NET.json>', 'the spec to write; its weights go beside it as NET.safetensors')
    .option('--arch <name>', 'the checkpoint\'s architecture (torchvision names: resnet50, vgg16_bn, densenet121...)')
    .option('--list-archs', 'list the architectures --arch knows')
    .option('--no-transform-input', 'googlenet, inception_v3: the model was built with transform_input=False (torchvision\'s default without pretrained weights): no transform_input layer')
    .option('--until <node>', 'ONNX: keep the graph up to this node (name or output tensor), e.g. before a Flatten + Gemm classifier')
    .option('--prefix <name>', "ONNX: put NAME. before every layer name (default: features for a model exported from a torchvision model.features, else none; '' for none)")
    .option('--preset <name>', 'preprocessing: imagenet (Resize 256, CenterCrop 224, ImageNet mean/std) or none (default: imagenet with --arch, none for ONNX)')
    .option('--mean <list>', 'per-channel mean, e.g. 0.485,0.456,0.406')
    .option('--std <list>', 'per-channel std, e.g. 0.229,0.224,0.225')
    .option('--resize <N|HxW>', 'resize images first: N = shorter side (torchvision\'s Resize(N)), HxW = exactly H x W (torchvision\'s Resize((H, W)))')
    .option('--center-crop <N|HxW>', 'after a shorter-side resize, crop the centre (torchvision\'s CenterCrop)')
    .option('--name <name>', 'the spec\'s name (default: the output file\'s stem)')
    .addHelpText(
      'after',
      `
Examples:
  cnnx import resnet50.pth --arch resnet50 -o resnet50.json      # conv1 .. layer4, avgpool; ImageNet preprocessing
  cnnx import model.onnx --until /avgpool/GlobalAveragePool -o net.json --preset imagenet
  cnnx import --list-archs

See docs/import.md. Exit codes: 0 ok, 1 the spec or its weights cannot be written, 2 the model cannot be imported (nothing written).`,
    )
    .action(async (model: string | undefined, opts) => {
      const { importCommand } = await import('./import.js');
      for (const line of await importCommand(model, opts)) process.stdout.write(`${line}\n`);
    });

  program
    .command('serve')
    .description('a local page showing the report of NET on the images, live: drop a photo, edit the spec (in the page or in an editor), change conv parameters, compare padding modes')
    .argument('<net>', 'network spec (.json); watched: the page follows edits saved by an editor')
    .argument('[images...]', 'images to pick from in the page (more can be dropped in it)')
    .option('--port <n>', 'port (0: a free one; the URL is printed)', portArg, 0)
    .option('--host <address>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--max-pixels <n>', "refuse images with more pixels than this (the page holds every layer's maps at once)", positiveInt, SERVE_MAX_PIXELS)
    .option('--max-upload <bytes>', 'refuse uploads larger than this many bytes', positiveInt, SERVE_MAX_UPLOAD)
    .option('--threads <n>', 'worker threads for the fast engine (default: cores)', threadsArg)
    .addHelpText(
      'after',
      examples(
        ['the seed network on a photo; open the printed URL', 'cnnx serve examples/seed-convnet.json photo.jpg'],
        ['several photos to pick from, on a fixed port', 'cnnx serve net.json a.jpg b.png --port 8080'],
        ['no photo yet: drop one in the page', 'cnnx serve examples/edges.json'],
      ) + '\nSee docs/serve.md. Ctrl-C stops it (exit 130).',
    )
    .action(async (net: string, images: string[], opts: { port: number; host: string; maxPixels: number; maxUpload: number; threads?: number }) => {
      const { serveCommand } = await import('./serve.js');
      setExit(await serveCommand(net, images, opts));
    });

  return program;
}

function defaultSize(net: { input: { resize: unknown } }): [number, number] {
  const resize = net.input.resize as { kind: string; width?: number | null; height?: number | null; centerCrop?: [number, number] | null } | null;
  if (resize?.kind === 'box' && resize.width && resize.height) return [resize.height, resize.width];
  if (resize?.kind === 'shorter_side' && resize.centerCrop) return [resize.centerCrop[0], resize.centerCrop[1]];
  return [224, 224];
}

/** Entry point of bin/cnnx.js. */
export async function main(argv: readonly string[]): Promise<void> {
  // Before anything can make a temp file: a signal at any moment leaves none behind.
  exitOnSignals();
  // `cnnx kernels | head` closes stdout early: exit 141 quietly; /dev/full: one line, exit 1.
  handleStdoutErrors();
  let code: number = EXIT.ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      code = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    } else if (quittingAtOnce() !== null) {
      code = quittingAtOnce()!;
    } else {
      code = reportError(error);
    }
  }
  // After a second signal, whatever the run returned or threw, the process leaves with the signal's code.
  process.exitCode = quittingAtOnce() ?? code;
}

/**
 * Runs `f` on an input size the command line gave (or the spec's default): a size the network shrinks to
 * nothing is a usage error there (exit 2), not a failed input (exit 1) as an image of that size is for apply.
 */
function sizeGiven<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof CnnxError && error.code === 'input.too_small') throw new CnnxError('usage.size', error.message);
    throw error;
  }
}
