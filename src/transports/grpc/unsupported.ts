import { unsupported } from '../../core/index.ts';

const SHM_HINT = 'send tensor data in the request (raw_input_contents or contents)';
const SYSTEM_SHM = `system shared memory is not supported by this server; ${SHM_HINT}`;
const CUDA_SHM = `CUDA shared memory is not supported by this server; ${SHM_HINT}`;
const TRACE = 'the trace extension is not supported by this server';

const refuse = (message: string) => (): Promise<never> => Promise.reject(unsupported(message));

/** The shared-memory and trace RPCs: UNIMPLEMENTED, naming what is missing and what to do instead. */
export const unsupportedHandlers = {
  systemSharedMemoryStatus: refuse(SYSTEM_SHM),
  systemSharedMemoryRegister: refuse(SYSTEM_SHM),
  systemSharedMemoryUnregister: refuse(SYSTEM_SHM),
  cudaSharedMemoryStatus: refuse(CUDA_SHM),
  cudaSharedMemoryRegister: refuse(CUDA_SHM),
  cudaSharedMemoryUnregister: refuse(CUDA_SHM),
  traceSetting: refuse(TRACE),
};
