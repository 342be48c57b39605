// The height and width a layer draft outputs for a given input size (what a GeM head's fixed pooling window is checked against).
import { convOutputSize, poolOutputSize } from '../engine/geometry.js';
import { unpack, unpackPair } from './onnx-ops.js';
import type { LayerDraft } from './spec-tree.js';

type Size = readonly [number, number];

/** Output height and width of `draft` on a `size` map; layers other than convs and pools keep the size. */
export function draftOutputSize(draft: LayerDraft, size: Size): Size {
  const p = draft.params;
  switch (draft.type) {
    case 'conv2d': {
      const k = unpackPair(p.kernel_size);
      const s = unpackPair(p.stride);
      const d = unpackPair(p.dilation);
      const pad = unpack(p.padding);
      return [convOutputSize(size[0], k[0], s[0], d[0], pad.top, pad.bottom), convOutputSize(size[1], k[1], s[1], d[1], pad.left, pad.right)];
    }
    case 'maxpool2d':
    case 'avgpool2d': {
      const k = unpackPair(p.kernel_size);
      const s = unpackPair(p.stride);
      const d = p.dilation === undefined ? [1, 1] : unpackPair(p.dilation);
      const pad = unpackPair(p.padding);
      const ceil = p.ceil_mode === true;
      return [poolOutputSize(size[0], k[0], s[0], d[0], pad[0], ceil), poolOutputSize(size[1], k[1], s[1], d[1], pad[1], ceil)];
    }
    case 'adaptive_avgpool2d':
    case 'adaptive_maxpool2d':
      return unpackPair(p.output_size);
    case 'gem':
      return [1, 1];
    default:
      return size;
  }
}
