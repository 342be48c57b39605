// Batch benchmark: a folder of N photos through `cnnx apply` with the seed network: images/s, batch/single ratio, peak RSS at small and large N.
//
//   npm run bench:batch -- [--n 2000] [--small 20] [--size 64|WxH] [--engine auto|fast|reference] [--jobs J] [--repeat 1] [--json]
//   npm run bench:batch -- --format embeddings [--n 10000] [--small 1000] ...
//   npm run bench:batch -- --against ort-node [--n 100] [--size 640x480] [--repeat 3]
//
// --against ort-node races the same job, in the same run, against a plain sequential loop of sharp + onnxruntime-node
// (bench/peers/folder-loop.mjs: decode, cnnx's normalisation, the seed network exported by cnnx, a .npy per photo;
// needs `cd bench/peers && ONNXRUNTIME_NODE_INSTALL=skip npm ci`), the two alternating --repeat times: images/s of
// each (median; each process timed from spawn to exit, as a shell's `time` would), cnnx / native (target >= 0.9),
// the same ratio by the children's own clocks (start-up left out), CPU seconds and page faults per image of each process.
//
// The photos are crops of fixtures/images, re-encoded as a JPEG/PNG mix in a temp folder that is
// removed afterwards. The single-image rate is the engine alone on already-decoded images, measured
// in this process before and after the batch runs (the machine may be shared: both are reported).
// Each batch run is a child process (the real CLI, through dist/cli/main.js) that reports its own
// wall time and peak RSS (getrusage maxrss) when it exits.
//
// --format embeddings runs the seed network with a gem head (one 64-value row per photo) three ways,
// interleaved --repeat times: N photos writing parts, the same N writing nothing (the child replaces
// the sink's writes by skips: everything else is the same run), and --small photos writing parts.
// It prints images/s writing / writing nothing (target >= 0.95) and peak RSS at N / at --small
// (target <= 1.1), and checks that the parts hold N rows.
// Results go to bench/results/batch-<date>.json as well.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { saveResults } from './results.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;

/** Seed network: conv 3->32 k3 p1, relu, maxpool 2, conv 32->64 k3 p1, relu, maxpool 2 (used when examples/ has none). */
const SEED_SPEC = {
  name: 'seed-convnet',
  input: { channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  layers: [
    { type: 'conv2d', name: 'conv1', out_channels: 32, kernel_size: 3, padding: 1, weight: { random: { seed: 1 } }, bias: { random: { seed: 2 } } },
    { type: 'relu', name: 'relu1' },
    { type: 'maxpool2d', name: 'pool1', kernel_size: 2, stride: 2 },
    { type: 'conv2d', name: 'conv2', out_channels: 64, kernel_size: 3, padding: 1, weight: { random: { seed: 3 } }, bias: { random: { seed: 4 } } },
    { type: 'relu', name: 'relu2' },
    { type: 'maxpool2d', name: 'pool2', kernel_size: 2, stride: 2 },
  ],
};

/** Distinct pictures generated; the rest of the N files are copies (decode cost is the same). */
const DISTINCT = 64;

function parseArgs(argv) {
  const opts = { n: null, small: null, size: null, engine: 'auto', jobs: null, repeat: null, json: false, seconds: 4, format: 'npy', against: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--format') opts.format = next();
    else if (a === '--n') opts.n = Number(next());
    else if (a === '--small') opts.small = Number(next());
    else if (a === '--size') opts.size = parseSize(next());
    else if (a === '--against') opts.against = next();
    else if (a === '--engine') opts.engine = next();
    else if (a === '--jobs') opts.jobs = Number(next());
    else if (a === '--repeat') opts.repeat = Number(next());
    else if (a === '--seconds') opts.seconds = Number(next());
    else if (a === '--json') opts.json = true;
    else throw new Error(`bench/batch.mjs: unknown argument ${a}`);
  }
  if (opts.format !== 'npy' && opts.format !== 'embeddings') throw new Error(`bench/batch.mjs: --format is npy or embeddings, got ${opts.format}`);
  if (opts.against !== null && opts.against !== 'ort-node') throw new Error(`bench/batch.mjs: --against takes ort-node, got ${opts.against}`);
  // The native race: 100 photos of 640x480, three rounds; the bar for embeddings: peak RSS at 10,000 photos against 1,000.
  opts.n ??= opts.against ? 100 : opts.format === 'embeddings' ? 10000 : 2000;
  opts.repeat ??= opts.against ? 3 : 1;
  if (opts.against) opts.size ??= { width: 640, height: 480 };
  opts.small ??= opts.format === 'embeddings' ? 1000 : 20;
  return opts;
}

/** "64" or "640x480" -> { width, height }. */
function parseSize(text) {
  const m = /^(\d+)(?:x(\d+))?$/.exec(text);
  if (!m) throw new Error(`bench/batch.mjs: --size is N or WxH, got ${text}`);
  return { width: Number(m[1]), height: Number(m[2] ?? m[1]) };
}

async function chooseEngine(wanted) {
  if (wanted !== 'auto') return wanted;
  return existsSync(path.join(ROOT, 'dist', 'engine', 'fast', 'index.js')) ? 'fast' : 'reference';
}

/** Source photos: every readable picture in fixtures/images (the truncated one excluded). */
async function sourcePhotos() {
  const dir = path.join(ROOT, 'fixtures', 'images');
  const names = (await readdir(dir)).filter((n) => /\.(png|jpe?g|webp)$/i.test(n) && !/truncated/.test(n)).sort();
  if (names.length === 0) throw new Error('bench/batch.mjs: no photos in fixtures/images');
  return names.map((n) => path.join(dir, n));
}

/** N files of size.width x size.height in nested folders (100 per folder, as a camera roll would be), JPEG and PNG alternating. */
async function makePhotoFolder(dir, n, size, sharp) {
  const sources = await sourcePhotos();
  await mkdir(dir, { recursive: true });
  const distinct = [];
  for (let i = 0; i < Math.min(DISTINCT, n); i++) {
    const src = sharp(sources[i % sources.length]);
    const meta = await src.metadata();
    // Different crops so the pictures differ, resized to the size asked for.
    const side = Math.floor(Math.min(meta.width, meta.height) * (0.5 + 0.5 * ((i * 37) % 11) / 10));
    const left = ((i * 53) % Math.max(1, meta.width - side + 1));
    const top = ((i * 29) % Math.max(1, meta.height - side + 1));
    const img = sharp(sources[i % sources.length]).extract({ left, top, width: Math.min(side, meta.width), height: Math.min(side, meta.height) }).resize(size.width, size.height, { fit: 'fill' });
    const file = path.join(dir, `.src-${i}.${i % 2 ? 'png' : 'jpg'}`);
    await (i % 2 ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
    distinct.push(file);
  }
  for (let i = 0; i < n; i++) {
    const folder = path.join(dir, 'photos', `roll${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    const src = distinct[i % distinct.length];
    await copyFile(src, path.join(folder, `img${String(i).padStart(6, '0')}${path.extname(src)}`));
  }
  return path.join(dir, 'photos');
}

/** The engine alone on decoded images: images/s, median of 3 timed windows. */
async function singleRate(specFile, photos, engineKind, seconds) {
  const { loadNetwork } = await import(dist('network/load.js'));
  const { createEngine } = await import(dist('engine/create.js'));
  const { readInput } = await import(dist('io/image.js'));
  const { runNetwork, selectLayers } = await import(dist('network/run.js'));
  const net = await loadNetwork(specFile);
  const indices = selectLayers(net, []);
  const files = (await listFiles(photos)).slice(0, 8);
  const inputs = [];
  for (const f of files) inputs.push(await readInput(f, f, net.input));
  const engine = await createEngine({ kind: engineKind });
  try {
    for (let i = 0; i < 3; i++) await runNetwork(engine, net, inputs[i % inputs.length], indices, 'warm-up');
    const windows = [];
    for (let w = 0; w < 3; w++) {
      let count = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < (seconds * 1000) / 3) {
        await runNetwork(engine, net, inputs[count % inputs.length], indices, 'bench');
        count++;
      }
      windows.push(count / ((performance.now() - t0) / 1000));
    }
    return windows.sort((a, b) => a - b)[1];
  } finally {
    await engine.close();
  }
}

async function listFiles(dir) {
  const out = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.join(e.parentPath ?? e.path, e.name));
  }
  return out.sort();
}

/**
 * Runs the CLI in a child (this file with --child) and returns its wall time and peak RSS.
 * `discard`: an embeddings run whose rows are dropped instead of written.
 */
function batchRun(specFile, photos, outDir, engine, jobs, format = 'npy', discard = false) {
  const args = ['apply', specFile, photos, '-o', `${outDir}/`, '--engine', engine, '-q', '--format', format, ...(jobs ? ['--jobs', String(jobs)] : [])];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), discard ? '--child-discard' : '--child', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = err.split('\n').find((l) => l.startsWith('BENCH '));
      if (code !== 0 || !line) return reject(new Error(`batch run failed (exit ${code}): ${err.trim()}`));
      resolve({ ...JSON.parse(line.slice(6)), processSeconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** In the child: run the CLI in this process, then report wall time and getrusage's peak RSS. */
async function child(argv, discard) {
  if (discard) {
    // The same run writing nothing: every row is skipped where it would be written, no part is opened.
    const { EmbeddingSink } = await import(dist('batch/embedding-sink.js'));
    EmbeddingSink.prototype.add = async function add(seq) {
      this.skip(seq);
    };
  }
  const { main } = await import(dist('cli/main.js'));
  const t0 = performance.now();
  await main(['node', 'cnnx', ...argv]);
  const seconds = (performance.now() - t0) / 1000;
  process.on('exit', () => {
    const use = process.resourceUsage();
    process.stderr.write(`BENCH ${JSON.stringify({ seconds, maxRssMB: use.maxRSS / 1024, cpuSeconds: (use.userCPUTime + use.systemCPUTime) / 1e6, minorFaults: use.minorPageFault })}\n`);
  });
}

/** Rows in the .npy parts of `dir` (from their headers). */
async function partRows(dir) {
  const { parseNpy } = await import(dist('io/npy.js'));
  let rows = 0;
  for (const f of (await readdir(dir)).filter((n) => /^part-\d+\.npy$/.test(n))) rows += parseNpy(await readFile(path.join(dir, f)), f).shape[0];
  return rows;
}

/** Writes bench/results/batch-<date>.json (with the host, date and load) and returns its path. */
function saveResult(result) {
  return saveResults('batch', result);
}

/** --format embeddings: writing parts against writing nothing at N, and peak RSS at N against --small. */
async function benchEmbeddings(opts, engine, size, work, sharp, log) {
  const specFile = path.join(work, 'seed-gem.json');
  const base = existsSync(path.join(ROOT, 'examples', 'seed-convnet.json')) ? JSON.parse(await readFile(path.join(ROOT, 'examples', 'seed-convnet.json'), 'utf8')) : SEED_SPEC;
  // The seed network ending in a global pool: one row of 64 values per photo.
  await writeFile(specFile, JSON.stringify({ ...base, name: 'seed-gem', layers: [...base.layers, { type: 'gem', name: 'gem' }] }));
  const small = await makePhotoFolder(path.join(work, 'small'), opts.small, size, sharp);
  const large = await makePhotoFolder(path.join(work, 'large'), opts.n, size, sharp);
  const runs = { write: [], nothing: [], small: [] };
  for (let r = 0; r < opts.repeat; r++) {
    for (const [key, dir, n, discard] of [['write', large, opts.n, false], ['nothing', large, opts.n, true], ['small', small, opts.small, false]]) {
      const out = path.join(work, `out-${key}-${r}`);
      const res = await batchRun(specFile, dir, out, engine, opts.jobs, 'embeddings', discard);
      if (!discard) {
        const rows = await partRows(out);
        if (rows !== n) throw new Error(`bench/batch.mjs: the parts of the ${key} run hold ${rows} rows, expected ${n}`);
      }
      await rm(out, { recursive: true, force: true });
      runs[key].push({ ...res, rate: n / res.seconds });
      log(`embeddings ${key === 'nothing' ? 'writing nothing' : 'writing parts'}, ${n} images: ${res.seconds.toFixed(2)} s, ${(n / res.seconds).toFixed(1)} images/s, peak RSS ${res.maxRssMB.toFixed(0)} MB`);
    }
  }
  const best = (xs) => Math.max(...xs.map((r) => r.rate));
  const rss = (xs) => Math.min(...xs.map((r) => r.maxRssMB));
  const result = {
    format: 'embeddings', engine, size: `${size.width}x${size.height}`, cores: os.availableParallelism(), jobs: opts.jobs ?? 'default', n: opts.n, small: opts.small, repeat: opts.repeat,
    writingImagesPerSecond: round(best(runs.write)), nothingImagesPerSecond: round(best(runs.nothing)), speedRatio: round(best(runs.write) / best(runs.nothing), 3),
    peakRssSmallMB: round(rss(runs.small)), peakRssLargeMB: round(rss(runs.write)), rssRatio: round(rss(runs.write) / rss(runs.small), 3), runs,
  };
  const file = await saveResult(result);
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `embeddings, engine ${engine}, ${size.width}x${size.height}, ${result.cores} cores, jobs ${result.jobs}`,
        `writing parts: ${result.writingImagesPerSecond} images/s; writing nothing: ${result.nothingImagesPerSecond} images/s; ratio ${result.speedRatio} (target >= 0.95)`,
        `peak RSS: ${result.peakRssSmallMB} MB at ${opts.small} images, ${result.peakRssLargeMB} MB at ${opts.n} (ratio ${result.rssRatio}, target <= 1.1)`,
        `results: ${file}`,
      ].join('\n') + '\n',
    );
  }
}

/** The native loop (bench/peers/folder-loop.mjs) in a child process: its wall time, CPU time, page faults and peak RSS. */
function nativeRun(specFile, photos, outDir, threads) {
  const loop = path.join(ROOT, 'bench', 'peers', 'folder-loop.mjs');
  const args = [loop, specFile, photos, outDir, ...(threads ? ['--threads', String(threads)] : [])];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', CHILD_USAGE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line?.startsWith('{')) return reject(new Error(`native loop failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
      resolve({ ...JSON.parse(line), processSeconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** Runs the script given as argv[1] in this process and, when it exits, adds its CPU time and page faults to its last JSON line. */
const CHILD_USAGE = `
const { pathToFileURL } = require('node:url');
const script = process.argv[1];
const log = console.log;
let last = null;
console.log = (line, ...rest) => { if (typeof line === 'string' && line.startsWith('{')) last = JSON.parse(line); else log(line, ...rest); };
process.on('exit', () => {
  const use = process.resourceUsage();
  log(JSON.stringify({ ...last, cpuSeconds: (use.userCPUTime + use.systemCPUTime) / 1e6, minorFaults: use.minorPageFault }));
});
import(pathToFileURL(script).href);
`;

/** cnnx apply on a folder against the native loop on the same folder, alternating, --repeat rounds. */
async function benchAgainstNative(opts, engine, size, specFile, work, sharp, log) {
  if (!existsSync(path.join(ROOT, 'bench', 'peers', 'node_modules', 'onnxruntime-node'))) {
    throw new Error('bench/batch.mjs: --against ort-node needs `cd bench/peers && ONNXRUNTIME_NODE_INSTALL=skip npm ci`');
  }
  const photos = await makePhotoFolder(path.join(work, 'race'), opts.n, size, sharp);
  const runs = { cnnx: [], native: [] };
  // The rate is the whole process's, from spawn to exit, as `time` in a shell would show it: Node's start, each
  // side's imports, engine or session set-up and teardown included. loopRate is from the child's own clock
  // (cnnx: from the call of main(); the loop: after its imports and spec load), for comparison.
  const perImage = (r) => ({ ...r, rate: opts.n / r.processSeconds, loopRate: opts.n / r.seconds, cpuMsPerImage: (1000 * r.cpuSeconds) / opts.n, faultsPerImage: Math.round(r.minorFaults / opts.n) });
  for (let r = 0; r < opts.repeat; r++) {
    for (const who of r % 2 ? ['native', 'cnnx'] : ['cnnx', 'native']) {
      const out = path.join(work, `out-${who}-${r}`);
      const res = perImage(who === 'cnnx' ? await batchRun(specFile, photos, out, engine, opts.jobs) : await nativeRun(specFile, photos, out));
      const written = (await listFiles(out)).filter((f) => f.endsWith('.npy')).length;
      if (written !== opts.n) throw new Error(`bench/batch.mjs: the ${who} run wrote ${written} .npy files, expected ${opts.n}`);
      if (r === 0) runs[`${who}Sample`] = await readFile(path.join(out, path.relative(photos, (await listFiles(photos))[0]).replace(/\.[^.]+$/, '.npy')));
      await rm(out, { recursive: true, force: true });
      runs[who].push(res);
      log(`${who === 'cnnx' ? 'cnnx apply' : 'sharp + onnxruntime-node loop'}: ${res.processSeconds.toFixed(2)} s, ${res.rate.toFixed(1)} images/s (${res.loopRate.toFixed(1)} by its own clock), ${res.cpuMsPerImage.toFixed(0)} ms CPU and ${res.faultsPerImage} page faults per image, peak RSS ${res.maxRssMB.toFixed(0)} MB`);
    }
  }
  const { parseNpy } = await import(dist('io/npy.js'));
  const a = parseNpy(runs.cnnxSample, 'cnnx').data;
  const b = parseNpy(runs.nativeSample, 'native').data;
  let maxErr = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    maxErr = Math.max(maxErr, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  delete runs.cnnxSample;
  delete runs.nativeSample;
  const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const cnnxRate = median(runs.cnnx.map((r) => r.rate));
  const nativeRate = median(runs.native.map((r) => r.rate));
  const loopRatio = median(runs.cnnx.map((r) => r.loopRate)) / median(runs.native.map((r) => r.loopRate));
  const result = {
    format: 'npy', against: 'ort-node', engine, size: `${size.width}x${size.height}`, cores: os.availableParallelism(), jobs: opts.jobs ?? 'default', n: opts.n, repeat: opts.repeat,
    cnnxImagesPerSecond: round(cnnxRate), nativeImagesPerSecond: round(nativeRate), ratio: round(cnnxRate / nativeRate, 3), loopRatio: round(loopRatio, 3), outputRelErr: scale > 0 ? maxErr / scale : maxErr, runs,
  };
  const file = await saveResult(result);
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `${opts.n} photos of ${size.width}x${size.height}, seed network, ${result.cores} cores, medians of ${opts.repeat} alternating rounds`,
        `cnnx apply: ${result.cnnxImagesPerSecond} images/s; sharp + onnxruntime-node loop: ${result.nativeImagesPerSecond} images/s; cnnx / native ${result.ratio} (target >= 0.9)`,
        `(spawn to exit; by the children's own clocks, start-up left out, cnnx / native ${result.loopRatio})`,
        `outputs agree: max |cnnx - native| / max |native| = ${result.outputRelErr.toExponential(1)} on the first photo`,
        `results: ${file}`,
      ].join('\n') + '\n',
    );
  }
}

async function bench() {
  const opts = parseArgs(process.argv.slice(2));
  const engine = await chooseEngine(opts.engine);
  // The reference engine is plain JS loops: small pictures keep 2,000 of them to about a minute.
  const size = opts.size ?? parseSize(engine === 'fast' ? '128' : '48');
  const work = await mkdtemp(path.join(os.tmpdir(), 'cnnx-bench-batch-'));
  try {
    let specFile = path.join(ROOT, 'examples', 'seed-convnet.json');
    if (!existsSync(specFile)) {
      specFile = path.join(work, 'seed-convnet.json');
      await (await import('node:fs/promises')).writeFile(specFile, JSON.stringify(SEED_SPEC));
    }
    const { default: sharp } = await import('sharp');
    const log = (line) => process.stderr.write(`${line}\n`);
    log(`cnnx batch bench: --format ${opts.format}, engine ${engine}${opts.engine === 'auto' && engine === 'reference' ? ' (the fast engine is not built)' : ''}, ${size.width}x${size.height} photos, seed network, ${os.availableParallelism()} cores, jobs ${opts.jobs ?? 'default'}`);
    if (opts.format === 'embeddings') return await benchEmbeddings(opts, engine, size, work, sharp, log);
    if (opts.against) return await benchAgainstNative(opts, engine, size, specFile, work, sharp, log);
    const small = await makePhotoFolder(path.join(work, 'small'), opts.small, size, sharp);
    const large = await makePhotoFolder(path.join(work, 'large'), opts.n, size, sharp);

    const singleBefore = await singleRate(specFile, small, engine, opts.seconds);
    log(`single-image engine rate: ${singleBefore.toFixed(1)} images/s`);
    const runs = { small: [], large: [] };
    for (let r = 0; r < opts.repeat; r++) {
      for (const [key, dir, n] of [['small', small, opts.small], ['large', large, opts.n]]) {
        const out = path.join(work, `out-${key}-${r}`);
        const res = await batchRun(specFile, dir, out, engine, opts.jobs);
        await rm(out, { recursive: true, force: true });
        runs[key].push({ ...res, rate: n / res.seconds });
        log(`batch ${n} images: ${res.seconds.toFixed(2)} s, ${(n / res.seconds).toFixed(1)} images/s, peak RSS ${res.maxRssMB.toFixed(0)} MB`);
      }
    }
    const singleAfter = await singleRate(specFile, small, engine, opts.seconds);
    log(`single-image engine rate (after): ${singleAfter.toFixed(1)} images/s`);

    const best = (xs, f) => xs.map(f).sort((a, b) => b - a)[0];
    const single = Math.max(singleBefore, singleAfter);
    const batchRate = best(runs.large, (r) => r.rate);
    const rssSmall = Math.min(...runs.small.map((r) => r.maxRssMB));
    const rssLarge = Math.min(...runs.large.map((r) => r.maxRssMB));
    const result = {
      engine, size: `${size.width}x${size.height}`, cores: os.availableParallelism(), jobs: opts.jobs ?? 'default', n: opts.n, small: opts.small,
      batchImagesPerSecond: round(batchRate), singleImagesPerSecond: round(single), singleBefore: round(singleBefore), singleAfter: round(singleAfter),
      ratio: round(batchRate / single, 3), peakRssSmallMB: round(rssSmall), peakRssLargeMB: round(rssLarge), rssRatio: round(rssLarge / rssSmall, 3),
    };
    const file = await saveResult({ format: 'npy', ...result });
    if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      process.stdout.write(
        [
          `results: ${file}`,
          `engine ${engine}, ${size.width}x${size.height}, ${result.cores} cores, jobs ${result.jobs}`,
          `batch (${opts.n} images): ${result.batchImagesPerSecond} images/s`,
          `single-image engine rate: ${result.singleImagesPerSecond} images/s (before ${result.singleBefore}, after ${result.singleAfter})`,
          `batch / single: ${result.ratio} (target >= 0.9)`,
          `peak RSS: ${result.peakRssSmallMB} MB at ${opts.small} images, ${result.peakRssLargeMB} MB at ${opts.n} (ratio ${result.rssRatio}, target <= 1.2)`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[2] === '--child' || process.argv[2] === '--child-discard') await child(process.argv.slice(3), process.argv[2] === '--child-discard');
else await bench();
