// Streamed execution of huge images in bounded memory: the entry points the CLI and library users need.
export { applyStreamed, streamNetwork, checkStreamOutputs, type StreamOptions, type StreamSummary } from './stream-network.js';
export { shouldStream, planBands, streamingPays, wholeRunBytes } from './band-plan.js';
export { probeImage, openImageRows, type ImageRows } from './image-rows.js';
export { parseMemorySize, defaultMaxMemory } from './memory-size.js';
export { NpyBandWriter } from './npy-band-writer.js';
export { neededRows } from '../engine/band.js';
