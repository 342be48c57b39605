#!/usr/bin/env node
// Writes the two views of src/wasm/layout.json (the fast engine's descriptor fields, codes and memory map): AssemblyScript
// constants for the routines and typed tables for the planner. Run by scripts/build-wasm.mjs before it compiles the module.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = 'src/wasm/layout.json';
const AS_OUT = 'src/wasm/assembly/layout.ts';
const TS_OUT = 'src/engine/fast/layout.ts';
const HEADER = `// Auto-generated. Do not edit. Source: ${SOURCE}. Generator: scripts/gen-layout.mjs.`;

/** The namespace / constant name of a descriptor: conv2d -> CONV2D, winograd2d_small -> WINOGRAD2D_SMALL. */
const constName = (name) => name.toUpperCase();

function assemblyScript(layout) {
  const out = [HEADER, '// The data layout the routines share with the planner (src/engine/fast/layout.ts is the same, for TypeScript).', "import { checkAddress, checkBlock } from './descriptor';", ''];
  const group = (name, doc, values, check = []) => {
    out.push(`/** ${doc} */`, `export namespace ${name} {`);
    for (const [key, value, text] of values) out.push(`  /** ${text} */`, `  export const ${key}: i32 = ${value};`);
    if (check.length > 0) out.push('  /** Debug build: the descriptor at d lies inside the memory, and each addr field holds 0 or an aligned address inside it. */', '  export function check(d: usize): void {', ...check.map((line) => `    ${line}`), '  }');
    out.push('}', '');
  };
  group('MEMORY', layout.memory.doc, layout.memory.values);
  for (const [name, part] of Object.entries({ ...layout.scratch, ...layout.codes })) group(name, part.doc, part.values);
  for (const [name, d] of Object.entries(layout.descriptors)) {
    const fields = d.fields.map(([key, type, text], i) => [key, i, `${type}: ${text}`]);
    const check = [`checkBlock(d, WORDS, MEMORY.RESERVED, '${name} descriptor: address');`];
    for (const [key, type] of d.fields) if (type === 'addr') check.push(`checkAddress(d, ${key}, MEMORY.RESERVED, '${name}.${key}: address');`);
    group(constName(name), `The ${name} descriptor, read by ${d.readers.join(', ')}. ${d.doc}`, [...fields, ['WORDS', d.fields.length, 'words in the descriptor']], check);
  }
  return out.join('\n');
}

function typeScript(layout) {
  const out = [HEADER, '// The data layout the planner shares with the routines (src/wasm/assembly/layout.ts is the same, for AssemblyScript).', ''];
  const group = (name, doc, values) => {
    out.push(`/** ${doc} */`, `export const ${name} = {`);
    for (const [key, value, text] of values) out.push(`  /** ${text} */`, `  ${key}: ${value},`);
    out.push('} as const;', '');
  };
  group('MEMORY', layout.memory.doc, layout.memory.values);
  for (const [name, part] of Object.entries({ ...layout.scratch, ...layout.codes })) group(name, part.doc, part.values);
  for (const [name, d] of Object.entries(layout.descriptors)) {
    out.push(`/** The ${name} descriptor, read by ${d.readers.join(', ')}. ${d.doc} */`, `export const ${constName(name)} = {`);
    out.push(`  name: '${name}',`, `  readers: [${d.readers.map((r) => `'${r}'`).join(', ')}],`, `  words: ${d.fields.length},`, '  fields: {');
    d.fields.forEach(([key, type, text], index) => out.push(`    /** ${text} */`, `    ${key}: { index: ${index}, type: '${type}' },`));
    out.push('  },', '} as const;', '');
  }
  return out.join('\n');
}

/** Checks the definition (unique names, known types) and writes both files where their text changed. */
export function generateLayout(root) {
  const layout = JSON.parse(readFileSync(path.join(root, SOURCE), 'utf8'));
  for (const [name, d] of Object.entries(layout.descriptors)) {
    const seen = new Set();
    for (const [key, type] of d.fields) {
      if (seen.has(key) || key === 'WORDS') throw new Error(`${SOURCE}: descriptor ${name}: field ${key} repeated or reserved`);
      if (!['addr', 'i32', 'f32'].includes(type)) throw new Error(`${SOURCE}: descriptor ${name}: field ${key}: type ${type} is not addr, i32 or f32`);
      seen.add(key);
    }
  }
  for (const [file, text] of [[AS_OUT, assemblyScript(layout)], [TS_OUT, typeScript(layout)]]) {
    const at = path.join(root, file);
    let old = null;
    try {
      old = readFileSync(at, 'utf8');
    } catch {
      // first run
    }
    if (old !== text) writeFileSync(at, text);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generateLayout(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'));
  console.log(`gen-layout: ${AS_OUT}, ${TS_OUT}`);
}
