// inspect on specs far longer than a person writes: a flat list of 200,000 layers must not overflow the stack.
import { describe, expect, test } from 'vitest';
import { formatSummary, summarize } from '../../src/inspect/summary.js';
import { parseNetwork } from '../../src/network/load.js';
import { ROOT } from '../helpers.js';

describe('inspect of a very long spec', () => {
  test('summarises and formats 200,000 layers (no spread of every row into Math.max)', async () => {
    const layers = Array.from({ length: 200_000 }, () => ({ type: 'relu' }));
    const net = await parseNetwork({ input: { channels: 1 }, layers }, { file: 'long.json', dir: ROOT, hash: '' });
    const summary = summarize(net, { channels: 1, height: 2, width: 3 });
    expect(summary.peakActivationBytes).toBe(24);
    const lines = formatSummary(summary);
    expect(lines).toContain('largest activation: 24 B (float32)');
    expect(lines[lines.length - 1]).toMatch(/^largest activation/);
  }, 60_000);
});
