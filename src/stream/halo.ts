// Halo arithmetic lives with the band type in src/engine/band.ts (one definition for engines, tests and the stream planner).
export { neededRows } from '../engine/band.js';
