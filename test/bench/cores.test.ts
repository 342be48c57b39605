// bench/cores.mjs: the scaling bound it derives from each CPU's time, and its report (the CPU lists it reads are machine.ts's cpuList, tested there).
import { describe, expect, it } from 'vitest';
import { coresText, scalingBound } from '../../bench/cores.mjs';

describe('bench/cores', () => {
  it('bounds N threads by the N fastest CPUs, in multiples of the fastest and of the slowest', () => {
    // 25 ms and 33.3 ms: the slower does 0.75 of the faster's work in the same time.
    expect(scalingBound([33.3, 25])).toEqual({ fastest: { 1: 1, 2: 1.75 }, slowest: { 1: 1.33, 2: 2.33 } });
    expect(scalingBound([10, 10, 20])).toEqual({ fastest: { 1: 1, 2: 2, 3: 2.5 }, slowest: { 1: 2, 2: 4, 3: 5 } });
  });

  it('says what it measured, or why not', () => {
    const cores = { workload: 'W1', threads: 1, cpus: [{ cpu: 0, ms: 25 }, { cpu: 1, ms: 33.3 }], bound: scalingBound([25, 33.3]) };
    expect(coresText(cores, 2)).toBe('W1 at 1 thread pinned to each CPU: cpu0 25 ms, cpu1 33.3 ms; 2 threads can do at most 1.75x the fastest alone, 2.33x the slowest');
    expect(coresText(null, 2)).toBe("not measured (needs Linux's taskset)");
    expect(coresText({ error: 'taskset: failed to set pid 7\'s affinity: Invalid argument' }, 2)).toBe("not measured (taskset: failed to set pid 7's affinity: Invalid argument)");
  });
});
