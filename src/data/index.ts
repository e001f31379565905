/** Public API of the data layer (see the brief's agreed entry points). */
export type { ImageDataset, Provenance, TensorBatch } from './types';
export {
  DATASETS,
  DATASET_NAMES,
  CIFAR10_CLASSES,
  IMAGE_SHAPE,
  datasetInfo,
  type DatasetInfo,
  type RemoteFile,
} from './registry';
export { projectRoot, resolveDataDir, resolveSharedDir, type DataDirOptions } from './paths';
export {
  loadDataset,
  readCacheMeta,
  checkCache,
  channelStats,
  datasetDir,
  SPLITS,
  type Split,
  type CacheMeta,
  type SplitMeta,
  type LoadOptions,
} from './cache';
export { importDataset, defaultSource, type ImportOptions } from './import';
export { fetchDataset, downloadFile, type FetchOptions } from './fetch';
export { ensureDataset, type EnsureOptions } from './ensure';
export { listDatasets, type DatasetStatus } from './list';
export {
  augmentBatch,
  gatherBatch,
  pairedBatches,
  pairedBatchArrays,
  stepsPerEpoch,
  subsetByCount,
  subsetByClass,
  takeIndices,
  type AugmentOptions,
  type PairedBatch,
  type PairedArrayBatch,
  type PairedBatchOptions,
} from './batches';
export type { ProgressMode } from './progress';
export {
  imageRange,
  imageTensor,
  loadLocal,
  mergeDatasets,
  orderedBatches,
  parseLocalName,
  splitParts,
  subsetOrAll,
  type SplitPart,
} from './transforms';
