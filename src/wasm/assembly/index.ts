// The cnnx SIMD module: every export the fast engine calls (names follow ../README.md).
export { conv2d_f32 } from './conv2d';
export { pad_f32 } from './pad';
export { pool_rows_f32 } from './pool';
export { f32_igemm_ukernel_4x8, f32_igemm_ukernel_4x4 } from './igemm';
export { winograd_input_f32, winograd_output_f32 } from './winograd';
export { depthwise_f32 } from './depthwise';
export { winograd2d_f32, winograd2d_input_f32 } from './winograd2d';
export { winograd_small_f32 } from './winograd-small';
export { winograd_rows_f32 } from './winograd-rows';
export { f32_gemm_ukernel_4x8, f32_gemm_ukernel_4x4 } from './gemm';
