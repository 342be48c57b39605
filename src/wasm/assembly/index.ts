// The cnnx SIMD module: every export the fast engine calls (names follow ../README.md).
export { direct_f32, pointwise_f32, strided_f32, winograd1d_f32 } from './conv2d';
export { pad_f32 } from './pad';
export { pool_rows_f32 } from './pool';
export { f32_igemm_ukernel_4x8, f32_igemm_ukernel_8x4, f32_igemm_ukernel_4x4 } from './igemm';
export { winograd1d_input_f32, winograd1d_output_f32 } from './winograd1d';
export { depthwise_f32, maxpool2d_f32, separable_f32 } from './depthwise';
export { winograd2d_f32, winograd2d_input_f32, winograd2d_wide_f32, winograd2d_wide_input_f32 } from './winograd2d';
export { winograd2d_small_f32 } from './winograd2d_small';
export { winograd1d_small_f32 } from './winograd1d_small';
export { f32_gemm_ukernel_4x8, f32_gemm_ukernel_8x4, f32_gemm_ukernel_4x4 } from './gemm';
export { eltwise_f32 } from './eltwise';
export { winograd_filters_f32 } from './winograd_filters';
export { conv_weights_f32 } from './conv_weights';
export { resample_cols_u8, resample_rows_u8 } from './resample';
export { pixels_f32 } from './pixels';
