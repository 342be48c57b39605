// inspect on specs far larger than a person writes: 200,000 layers must not overflow the stack, a merge of 20,000 branches not fill memory.
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

  test('a merge of 20,000 branches: its "from" cell names the first few and the count, so rows stay narrow', async () => {
    const branches = Array.from({ length: 20_000 }, () => [{ type: 'relu' }]);
    const net = await parseNetwork({ input: { channels: 1 }, layers: [{ type: 'concat', branches }] }, { file: 'wide.json', dir: ROOT, hash: '' });
    const lines = formatSummary(summarize(net, { channels: 1, height: 2, width: 3 }));
    const merge = lines.find((l) => / concat +0,/.test(l))!;
    expect(merge).toMatch(/ concat +0,1,2,3,4,5,6,\.\.\.,19999 \(20000\) +20000x2x3 /);
    expect(Math.max(...lines.slice(0, 100).map((l) => l.length))).toBeLessThan(200);
  }, 60_000);
});
