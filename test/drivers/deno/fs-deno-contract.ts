// `deno test` entry (see fs-deno-contract.test.ts): the repository-driver contract, the same file
// the Node drivers run under vitest, against fsDeno inside Deno.
import { fsDeno } from '../../../src/platform/drivers/fs-deno.ts';
import { tmpTree } from '../../helpers/tmp.ts';
import { contractFiles, driverContract } from '../driver-contract.ts';

const root = tmpTree(contractFiles());
driverContract('fs-deno (in Deno)', () => fsDeno({ root }), { symlinks: (dir) => fsDeno({ root: dir }) });
