// Gigapixel benchmark: the seed network streamed through huge images under --max-memory (peak RSS, MPix/s) against a whole-image run.
//
//   npm run bench:gigapixel -- [--sides 1000,4000,10000] [--whole 2000] [--max-memory 1G] [--engine fast|reference] [--threads 2] [--json]
//
// Images are a photo tiled to the size, written as PNG to a temp folder that is removed afterwards
// (never committed). Every measured run is a child process that reports its own wall time and peak
// RSS (getrusage maxrss), so one run's garbage never counts towards another's. Throughput counts
// input megapixels per second, decode and .npy writing included, for both paths.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
const SPEC = path.join(ROOT, 'examples', 'seed-convnet.json');
const PHOTO = path.join(ROOT, 'fixtures', 'images', 'astronaut.png');

function parseArgs(argv) {
  const opts = { sides: [1000, 4000, 10000], whole: 2000, maxMemory: '1G', engine: 'fast', threads: os.availableParallelism(), json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--sides') opts.sides = next().split(',').map(Number);
    else if (a === '--whole') opts.whole = Number(next());
    else if (a === '--max-memory') opts.maxMemory = next();
    else if (a === '--engine') opts.engine = next();
    else if (a === '--threads') opts.threads = Number(next());
    else if (a === '--json') opts.json = true;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

/** A side x side PNG of the photo tiled (fast to write, realistic to decode). */
async function makeImage(dir, side) {
  const { default: sharp } = await import('sharp');
  const file = path.join(dir, `tiled-${side}.png`);
  await sharp({ create: { width: side, height: side, channels: 3, background: '#808080' } })
    .composite([{ input: PHOTO, tile: true, gravity: 'northwest' }])
    .removeAlpha()
    .png({ compressionLevel: 1 })
    .toFile(file);
  return file;
}

// ---------------------------------------------------------------- child: one measured run

async function child([mode, image, out, maxMemory, engineKind, threads]) {
  const { loadNetwork } = await import(dist('network/load.js'));
  const { createEngine } = await import(dist('engine/create.js'));
  const net = await loadNetwork(SPEC);
  const engine = await createEngine({ kind: engineKind, threads: Number(threads) });
  const last = net.layers.length - 1;
  const t0 = performance.now();
  let info = {};
  if (mode === 'whole') {
    const { readInput } = await import(dist('io/image.js'));
    const { runNetwork } = await import(dist('network/run.js'));
    const { encodeNpy } = await import(dist('io/npy.js'));
    const { writeFileAtomic } = await import(dist('io/atomic.js'));
    const input = await readInput(image, path.basename(image), net.input, { maxPixels: 2 ** 40 });
    const [output] = await runNetwork(engine, net, input, [{ label: 'output', node: last }], image);
    const t = output.tensor;
    await writeFileAtomic(out, encodeNpy([t.channels, t.height, t.width], t.data));
    info = { width: input.width, height: input.height };
  } else {
    const { applyStreamed, parseMemorySize } = await import(dist('stream/index.js'));
    const summary = await applyStreamed(engine, net, image, path.basename(image), [last], out, { maxMemory: parseMemorySize(maxMemory), tempDir: path.dirname(out) });
    info = summary;
  }
  const ms = performance.now() - t0;
  await engine.close();
  process.stdout.write(JSON.stringify({ ...info, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

/**
 * Checks the streamed output against a whole run of a full-height-aligned crop of the input: rows
 * [top, top + 400) and columns [0, 1000), top a multiple of the network's total stride (4). Output
 * values whose receptive field lies inside the crop (a 2-value margin off the crop's cut edges) must match.
 */
async function cropCheck(image, streamedNpy, dir, opts) {
  const { default: sharp } = await import('sharp');
  const { openSync, readSync, closeSync } = await import('node:fs');
  const { loadNetwork } = await import(dist('network/load.js'));
  const { createEngine } = await import(dist('engine/create.js'));
  const { readInput } = await import(dist('io/image.js'));
  const { runNetwork } = await import(dist('network/run.js'));
  const { npyDataOffset } = await import(dist('io/npy.js'));
  const meta = await sharp(image).metadata();
  const top = Math.floor(meta.height / 2 / 4) * 4;
  const [H, W] = [400, Math.min(1000, meta.width)];
  const cropFile = path.join(dir, 'crop.png');
  await sharp(image).extract({ left: 0, top, width: W, height: H }).png({ compressionLevel: 1 }).toFile(cropFile);
  const net = await loadNetwork(SPEC);
  const engine = await createEngine({ kind: opts.engine, threads: opts.threads });
  const input = await readInput(cropFile, 'crop.png', net.input);
  const [out] = await runNetwork(engine, net, input, [{ label: 'output', node: net.layers.length - 1 }], 'crop.png');
  await engine.close();
  const t = out.tensor;
  const fullH = Math.floor(meta.height / 4);
  const fullW = Math.floor(meta.width / 4);
  const offset = npyDataOffset([t.channels, fullH, fullW]);
  const margin = 2;
  const fd = openSync(streamedNpy, 'r');
  const row = Buffer.alloc(t.width * 4);
  let values = 0;
  let maxDiff = 0;
  let identical = true;
  try {
    for (let c = 0; c < t.channels; c++) {
      for (let y = margin; y < t.height - margin; y++) {
        readSync(fd, row, 0, row.length, offset + ((c * fullH + top / 4 + y) * fullW) * 4);
        const streamed = new Float32Array(row.buffer, row.byteOffset, t.width);
        for (let x = 0; x < t.width - margin; x++) {
          const a = streamed[x];
          const b = t.data[(c * t.height + y) * t.width + x];
          values++;
          if (!Object.is(a, b)) identical = false;
          maxDiff = Math.max(maxDiff, Math.abs(a - b));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { crop: `rows ${top}..${top + H}, columns 0..${W}`, values, identical, maxDiff };
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child ${args[0]} ${args[1]} exited ${code}`))));
  });
}

// ---------------------------------------------------------------- parent

async function main() {
  if (process.argv[2] === '--child') return child(process.argv.slice(3));
  const opts = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cnnx-gigapixel-'));
  const rows = [];
  const checks = [];
  const log = (s) => opts.json || console.log(s);
  try {
    const sides = [...new Set([opts.whole, ...opts.sides])];
    const images = {};
    for (const side of sides) {
      const t = performance.now();
      images[side] = await makeImage(dir, side);
      log(`generated ${side}x${side} PNG (${((await stat(images[side])).size / 2 ** 20).toFixed(0)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const measure = async (mode, side, keep = false) => {
      const out = path.join(dir, `out-${mode}-${side}.npy`);
      const r = await runChild([mode, images[side], out, opts.maxMemory, opts.engine, String(opts.threads)]);
      if (keep) checks.push(await cropCheck(images[side], out, dir, opts));
      await rm(out, { force: true });
      const row = { mode, side, seconds: r.ms / 1000, mpixPerS: (side * side) / 1e6 / (r.ms / 1000), peakRssMiB: r.maxRssBytes / 2 ** 20, bands: r.bands ?? 1, bandRows: r.bandRows ?? null };
      rows.push(row);
      log(`${mode.padEnd(8)} ${String(side).padStart(6)}²  ${row.seconds.toFixed(1).padStart(7)} s  ${row.mpixPerS.toFixed(2).padStart(7)} MPix/s  peak RSS ${row.peakRssMiB.toFixed(0).padStart(5)} MiB${mode === 'streamed' ? `  (${row.bands} bands of ${row.bandRows} rows, --max-memory ${opts.maxMemory})` : ''}`);
      return row;
    };
    log(`engine ${opts.engine}, ${opts.threads} threads`);
    const whole = await measure('whole', opts.whole);
    const streamedSame = await measure('streamed', opts.whole);
    const streamed = [];
    for (const [i, side] of opts.sides.entries()) streamed.push(await measure('streamed', side, i === opts.sides.length - 1));
    for (const c of checks) log(`crop check ${c.crop}: ${c.values} output values inside the crop, ${c.identical ? 'bit-identical to' : `max |diff| ${c.maxDiff} against`} a whole run of the crop`);
    const biggest = streamed[streamed.length - 1];
    const summary = {
      engine: opts.engine,
      threads: opts.threads,
      maxMemory: opts.maxMemory,
      wholeMpixPerS: whole.mpixPerS,
      streamedSameSizeRatio: streamedSame.mpixPerS / whole.mpixPerS,
      biggestSide: biggest.side,
      biggestRatio: biggest.mpixPerS / whole.mpixPerS,
      biggestPeakRssMiB: biggest.peakRssMiB,
      rows,
      checks,
    };
    if (opts.json) console.log(JSON.stringify(summary, null, 2));
    else {
      log(`streamed ${biggest.side}² vs whole ${opts.whole}²: ${(summary.biggestRatio * 100).toFixed(0)}% of whole-image MPix/s (target >= 80%); peak RSS ${biggest.peakRssMiB.toFixed(0)} MiB (target < 1024 MiB)`);
      log(`streamed ${opts.whole}² vs whole ${opts.whole}²: ${(summary.streamedSameSizeRatio * 100).toFixed(0)}%`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
