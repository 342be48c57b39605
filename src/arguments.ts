// What library callers pass to the public functions, checked where they enter: a wrong argument is a CnnxError (usage.argument) naming the function and the argument, not a TypeError from deep inside.
import { CnnxError, describeValue } from './errors.js';
import { plural } from './format.js';

/** A library function given an argument it cannot use (usage.argument), as engineError is for engines. */
export function argumentError(message: string): CnnxError {
  return new CnnxError('usage.argument', message);
}

/** `where: expected WHAT, got VALUE`, `where` being `runNetwork: net` or `options.maxPixels`. */
export function unexpected(where: string, what: string, value: unknown): CnnxError {
  return argumentError(`${where}: expected ${what}, got ${describeArgument(value)}`);
}

/** describeValue, but an object that is not a plain one or an array is named by its class: `a Float64Array`. */
function describeArgument(value: unknown): string {
  const name = typeof value === 'object' && value !== null && !Array.isArray(value) ? value.constructor?.name : undefined;
  if (name === undefined || name === 'Object') return typeof value === 'function' ? 'a function' : describeValue(value);
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

/** The tag, not instanceof: a Float32Array made in another realm (a vm context) is one too. */
export function isFloat32Array(value: unknown): value is Float32Array {
  return Object.prototype.toString.call(value) === '[object Float32Array]';
}

/** Data for a shape: a Float32Array of `count` elements (`shape` as messages write it, `3x2x2` or `(2, 3)`). */
export function checkData(data: unknown, where: string, count: number, shape: string): asserts data is Float32Array {
  if (!isFloat32Array(data)) throw unexpected(where, 'a Float32Array', data);
  checkLength(data.length, where, count, shape);
}

/** `where` (data) has `length` elements, which its shape's `count` must be. */
export function checkLength(length: number, where: string, count: number, shape: string): void {
  if (length !== count) throw argumentError(`${where} has ${plural(length, 'element')}, the shape ${shape} needs ${count}`);
}

/** A size: an integer from `min` (a safe integer, so that products of sizes stay exact). */
export function checkSize(value: unknown, where: string, min: number): asserts value is number {
  if (!Number.isSafeInteger(value) || (value as number) < min) throw unexpected(where, `an integer >= ${min}`, value);
}

/** An object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string: a path, a name for messages. */
export function checkString(value: unknown, where: string, what: string): asserts value is string {
  if (typeof value !== 'string') throw unexpected(where, what, value);
}

/** An array, each element checked by `each` at its place (`where[i]`). */
export function checkArray(value: unknown, where: string, what: string, each?: (item: unknown, at: string) => void): asserts value is unknown[] {
  if (!Array.isArray(value)) throw unexpected(where, what, value);
  if (each) value.forEach((item, i) => each(item, `${where}[${i}]`));
}

/** Layer names, as selectLayers() takes them. */
export function checkLayerNames(value: unknown, where: string): asserts value is string[] {
  checkArray(value, where, 'an array of layer names', (name, at) => checkString(name, at, 'a layer name (a string)'));
}

/** An engine from createEngine(): something else would fail deep inside with a TypeError. */
export function checkEngine(value: unknown, where: string): void {
  if (!isObject(value) || typeof value.run !== 'function') throw unexpected(where, 'an engine from createEngine()', value);
}

/** A network from loadNetwork() or parseNetwork(). */
export function checkNetwork(value: unknown, where: string): void {
  if (!isObject(value) || !Array.isArray(value.layers) || !isObject(value.input)) throw unexpected(where, 'a network from loadNetwork() or parseNetwork()', value);
}

/** Refuses anything but an options object; undefined (the default) passes. */
export function checkOptions(value: unknown, where: string): void {
  if (value !== undefined && !isObject(value)) throw unexpected(where, 'an options object', value);
}

/** A shape as a list of sizes (integers >= 0), as .npy and safetensors files store them. */
export function checkSizes(value: unknown, where: string): asserts value is number[] {
  checkArray(value, where, 'an array of sizes (integers >= 0)', (n, at) => checkSize(n, at, 0));
}

/** The bytes of a file (a Uint8Array; a Buffer is one). */
export function checkBytes(value: unknown, where: string, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw unexpected(where, what, value);
}

/** A (C, H, W) shape of positive integers; `what` says what was expected (a shape, or a tensor: checkTensor). */
export function checkShape(value: unknown, where: string, what = 'a shape { channels, height, width }'): asserts value is Record<string, unknown> {
  if (!isObject(value)) throw unexpected(where, what, value);
  for (const key of ['channels', 'height', 'width']) checkSize(value[key], `${where}.${key}`, 1);
}

/** A tensor { channels, height, width, data }: positive sizes, and a Float32Array of their product. */
export function checkTensor(value: unknown, where: string): void {
  checkShape(value, where, 'a tensor { channels, height, width, data }');
  const [channels, height, width] = [value.channels, value.height, value.width] as number[];
  checkData(value.data, `${where}.data`, channels * height * width, `${channels}x${height}x${width}`);
}

/** Node indices of `net`, at least one: layers to output. */
export function checkNodes(value: unknown, where: string, net: { readonly layers: readonly unknown[] }): void {
  const what = 'a non-empty array of node indices (LayerSelection.node)';
  checkArray(value, where, what, (node, at) => {
    if (!Number.isSafeInteger(node) || (node as number) < 0 || (node as number) >= net.layers.length) throw unexpected(at, `a node index from 0 to ${net.layers.length - 1}`, node);
  });
  if (value.length === 0) throw unexpected(where, what, value);
}

/** A layer selection as selectLayers() makes it: an array of { label, node }. */
export function checkSelection(value: unknown, where: string): void {
  checkArray(value, where, 'an array of layer selections from selectLayers()', (s, at) => {
    if (!isObject(s)) throw unexpected(at, 'a layer selection { label, node } from selectLayers()', s);
  });
}
