import { frame, PythonException } from './python-traceback.js';
import type { SimContext } from './sim-context.js';

const TORCH_CUDA = '/usr/local/lib/python3.12/dist-packages/torch/cuda/__init__.py';

/**
 * torch.cuda.set_device(LOCAL_RANK) as the model does before loading: a container started without `--gpus` sees
 * no driver, and a rank beyond the visible devices gets an invalid ordinal.
 */
export function requireCudaDevice(context: SimContext, entryFrame: ReturnType<typeof frame>, device = context.localRank): void {
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined || visible.trim() === '') {
    throw new PythonException(
      'RuntimeError',
      'Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx',
      [entryFrame, frame(TORCH_CUDA, 372, '_lazy_init', 'torch._C._cuda_init()')],
    );
  }
  if (device >= visible.split(',').length) {
    throw new PythonException(
      'RuntimeError',
      'CUDA error: invalid device ordinal\nCUDA kernel errors might be asynchronously reported at some other API call, so the stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1',
      [entryFrame, frame(TORCH_CUDA, 529, 'set_device', 'torch._C._cuda_setDevice(device)')],
    );
  }
}
