// The multiply-adds the fast engine's routines issue for a workload's convs: a direct convolution's for
// most, fewer for the Winograd routines (products on whole tiles) and separable's two 1-D passes. Over
// the register ceiling (bench/ceiling.mjs) they give how close a step runs to what the CPU's f32x4
// arithmetic allows, and the least time the network's arithmetic can take on this host.

/**
 * Multiply-adds of each layer (0 for layers that are not convs), by layer index, as the routine the
 * engine picks (`routineFor`, `outputRowTile`: the engine's own choice functions) computes them.
 */
export function algorithmMacs(w, shapes, routineFor, outputRowTile, algorithm = 'auto') {
  return w.net.layers.map((l) => {
    if (l.type !== 'conv2d') return 0;
    const o = shapes[l.index];
    const icg = l.inChannels / l.groups;
    const [kh, kw] = l.kernelSize;
    const direct = o.channels * o.height * o.width * icg * kh * kw;
    switch (routineFor(l, algorithm, o).id) {
      case 'winograd2d':
      case 'winograd2d_wide':
      case 'winograd2d_small': {
        // F(t x t, 3x3): (t + 2)^2 products per tile, input channel and output channel.
        const t = outputRowTile(l, o);
        return Math.ceil(o.height / t) * Math.ceil(o.width / t) * (t + 2) ** 2 * icg * o.channels;
      }
      case 'winograd1d':
      case 'winograd1d_small':
        // Row-wise F(4, kw): kw + 3 products per 4 outputs along x, for each of the kh kernel rows.
        return o.channels * o.height * Math.ceil(o.width / 4) * (kw + 3) * kh * icg;
      case 'separable':
        return o.channels * o.height * o.width * (kh + kw);
      default:
        return direct;
    }
  });
}

/** The least milliseconds `macs` multiply-adds take at `gflops` (2 flops each): the arithmetic alone, every other cost left out. */
export function floorMs(macs, gflops) {
  return (2 * macs) / gflops / 1e6;
}
