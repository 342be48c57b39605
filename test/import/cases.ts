// The imports checked against PyTorch: fixture, command-line arguments, and which spec layer must match which PyTorch output.

export interface Case {
  /** Fixture folder. */
  readonly dir: string;
  readonly model: string;
  readonly args: readonly string[];
  /** Spec layer name -> the PyTorch output file it must match. */
  readonly compare: Readonly<Record<string, string>>;
  /** Has add or concat groups (the fast engine runs those once its planner walks a graph). */
  readonly branching: boolean;
}

const pth = (arch: string, compare: Record<string, string>, branching: boolean, model = 'model.pth'): Case => ({
  dir: arch,
  model,
  args: ['--arch', arch],
  compare: { avgpool: 'out_avgpool.npy', ...compare },
  branching,
});

export const CASES: Case[] = [
  // Plain stacks (a sequential group at most).
  pth('vgg11_bn', { 'features.7': 'out_features.7.npy', features: 'out_features.npy' }, false),
  pth('vgg11_bn', { 'features.7': 'out_features.7.npy' }, false, 'model.safetensors'),
  { ...pth('vgg11_bn', {}, false, 'model_f16_strided.pth'), compare: { avgpool: 'out_f16_avgpool.npy' } },
  pth('vgg13', { 'features.9': 'out_features.9.npy' }, false),
  pth('alexnet', { 'features.5': 'out_features.5.npy' }, false),
  { dir: 'vgg11_bn', model: 'model.onnx', args: [], compare: { 'features.7': 'out_features.7.npy', features: 'out_features.npy' }, branching: false },
  // Branching families.
  pth('resnet18', { layer2: 'out_layer2.npy', 'layer4.1': 'out_layer4.1.npy', 'layer1.0.bn1': 'out_layer1.0.bn1.npy' }, true),
  pth('resnet18', { layer4: 'out_layer4.npy' }, true, 'model.safetensors'),
  { dir: 'resnet18', model: 'model.onnx', args: ['--until', '/avgpool/GlobalAveragePool'], compare: { avgpool: 'out_avgpool.npy', layer2: 'out_layer2.npy', 'layer4.1': 'out_layer4.1.npy' }, branching: true },
  pth('resnet50', { 'layer2.0.downsample': 'out_layer2.0.downsample.npy', 'layer3.1': 'out_layer3.1.npy', layer4: 'out_layer4.npy' }, true),
  { dir: 'resnet50', model: 'model.onnx', args: [], compare: { layer4: 'out_layer4.npy', 'layer3.1': 'out_layer3.1.npy', 'layer2.0.downsample': 'out_layer2.0.downsample.npy' }, branching: true },
  pth('resnext50_32x4d', { 'layer1.2': 'out_layer1.2.npy', layer4: 'out_layer4.npy' }, true),
  pth('squeezenet1_0', { 'features.3': 'out_features.3.npy', 'features.6': 'out_features.6.npy', features: 'out_features.npy' }, true),
  pth('squeezenet1_1', { 'features.4': 'out_features.4.npy' }, true),
  { dir: 'squeezenet1_1', model: 'model.onnx', args: [], compare: { features: 'out_features.npy', 'features.4': 'out_features.4.npy' }, branching: true },
  pth('mobilenet_v2', { 'features.1': 'out_features.1.npy', 'features.3': 'out_features.3.npy', 'features.7': 'out_features.7.npy', features: 'out_features.npy' }, true),
  pth('mobilenet_v2', { 'features.7': 'out_features.7.npy' }, true, 'model.safetensors'),
  { dir: 'mobilenet_v2', model: 'model.onnx', args: [], compare: { features: 'out_features.npy', 'features.3': 'out_features.3.npy', 'features.7': 'out_features.7.npy' }, branching: true },
  pth('googlenet', { conv1: 'out_conv1.npy', inception3a: 'out_inception3a.npy', maxpool3: 'out_maxpool3.npy', 'inception4c.branch4': 'out_inception4c.branch4.npy', inception5b: 'out_inception5b.npy' }, true),
  pth('googlenet', { inception5b: 'out_inception5b.npy' }, true, 'model.safetensors'),
  pth('inception_v3', { Mixed_5b: 'out_Mixed_5b.npy', Mixed_6a: 'out_Mixed_6a.npy', Mixed_6e: 'out_Mixed_6e.npy', Mixed_7a: 'out_Mixed_7a.npy', Mixed_7c: 'out_Mixed_7c.npy' }, true),
  pth('inception_v3', { Mixed_7c: 'out_Mixed_7c.npy' }, true, 'model.safetensors'),
  // The same weights in models built with transform_input=False (torchvision's default without pretrained weights).
  { ...pth('googlenet', {}, true), args: ['--arch', 'googlenet', '--no-transform-input'], compare: { avgpool: 'out_plain_avgpool.npy' } },
  { ...pth('inception_v3', {}, true), args: ['--arch', 'inception_v3', '--no-transform-input'], compare: { avgpool: 'out_plain_avgpool.npy' } },
  // As torch.onnx.export writes torchvision's GoogLeNet: transform_input as channel slices (Gather, Unsqueeze, Mul, Add, Concat).
  { dir: 'googlenet', model: 'model.onnx', args: ['--until', '/avgpool/GlobalAveragePool'], compare: { avgpool: 'out_avgpool.npy', conv1: 'out_conv1.npy', inception3a: 'out_inception3a.npy', 'inception4c.branch4': 'out_inception4c.branch4.npy', inception5b: 'out_inception5b.npy' }, branching: true },
  pth('densenet121', { 'features.denseblock2': 'out_features.denseblock2.npy', 'features.transition2': 'out_features.transition2.npy', features: 'out_features.npy' }, true),
  pth('densenet121', { features: 'out_features.npy' }, true, 'model_legacy_keys.pth'),
  { dir: 'densenet121', model: 'model.onnx', args: ['--until', '/GlobalAveragePool'], compare: { globalaveragepool: 'out_avgpool.npy', 'features.denseblock2': 'out_features.denseblock2.npy', 'features.transition2': 'out_features.transition2.npy' }, branching: true },
  // Inception v3's InceptionE: the exporter writes cat(a, cat(b, c), cat(d, e), f) as one Concat of six.
  { dir: 'inception_e', model: 'model.onnx', args: [], compare: { avgpool: 'out_avgpool.npy', Mixed_7c: 'out_Mixed_7c.npy', Conv2d_1a_3x3: 'out_Conv2d_1a_3x3.npy' }, branching: true },
  { dir: 'ops', model: 'model.onnx', args: [], compare: { gmp: 'out_output.npy' }, branching: true },
  { dir: 'ops', model: 'model_bn.onnx', args: [], compare: { gmp: 'out_output.npy' }, branching: true },
  // Descriptor heads: GeM (a learnable p, a whole-map AveragePool; an adaptive pool) and F.normalize.
  { dir: 'heads', model: 'retrieval.onnx', args: [], compare: { pool: 'out_retrieval_pool.npy', normalize: 'out_retrieval_output.npy' }, branching: false },
  { dir: 'heads', model: 'map_head.onnx', args: [], compare: { normalize: 'out_map_head_normalize.npy', normalize_2: 'out_map_head_output.npy' }, branching: false },
];

