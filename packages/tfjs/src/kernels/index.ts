export { conv2DBackpropFilterWasm } from './conv2d_backprop_filter';
export { conv2DBackpropInputWasm } from './conv2d_backprop_input';
export { depthwiseConv2dNativeBackpropFilterWasm } from './depthwise_backprop_filter';
export { depthwiseConv2dNativeBackpropInputWasm } from './depthwise_backprop_input';
export {
  type RegisterWasmGradKernelsOptions,
  registerWasmGradKernels,
  wasmFasterKernelConfigs,
  wasmGradKernelConfigs,
} from './register';
export { sliceWasm } from './slice';
export { tileAsBroadcast, tileWasm } from './tile';
