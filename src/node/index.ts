// The package's Node entry ('stylegpu' under Node): the engine on Dawn (npm `webgpu`), every model, weights by
// name/path/URL with the disk cache, and image files.
export { Engine, GpuError, type EngineStats } from '../runtime/engine.ts';
export { type DeviceOptions, type AdapterDescription, describeAdapter } from '../runtime/device.ts';
export { type RgbaImage, decodeImage, encodePng, fitLongestSide } from '../image/io.ts';
export { readImageFile, writePngFile } from './files.ts';
export { FastStyleNet, type StylizeOptions, loadFastStyle } from '../models/fastStyle.ts';
export { AdaIN } from '../models/adain.ts';
export { GatedGanGenerator } from '../models/gatedGan.ts';
export { GATYS_DEFAULTS, type GatysOptions, type GatysResult, gatys } from '../models/gatys.ts';
export { Vgg19, vggWeights } from '../models/vgg19.ts';
export { KNOWN_MODELS, ML5_STYLES, MissingFileError, type SourceOptions, type WeightSet, loadWeights } from '../weights/index.ts';
export { OptionError } from '../options.ts';
