// What the optimisers (lbfgs.ts, adam.ts) call, and how they read the few numbers their control flow needs.
import type { Tensor } from '../runtime/tensor.ts';
import { shapeString } from '../runtime/tensor.ts';

/** The objective at a point: the loss, as a number or as a [1] tensor on the GPU, and the gradient. */
export interface Evaluation {
  loss: number | Tensor;
  grad: Tensor;
}

/**
 * f and ∇f at `x`. It must evaluate at the tensor it is given (the line search passes trial points, not the
 * optimised tensor) and leave that tensor unchanged. The returned loss tensor and gradient become the optimiser's,
 * which releases them: return new tensors on every call (a forward + backward pass does).
 */
export type Objective = (x: Tensor) => Evaluation | Promise<Evaluation>;

/** Reads [1] tensors for an optimiser's control flow, counting the bytes, and releases them. */
export class ScalarReader {
  /** Bytes read back from the GPU so far. */
  bytes = 0;

  async read(t: Tensor): Promise<number> {
    if (t.size !== 1) throw new Error(`ScalarReader: expected a [1] tensor, got ${shapeString(t.shape)}`);
    try {
      const [v] = await t.read();
      this.bytes += t.sizeBytes;
      return v;
    } finally {
      t.release();
    }
  }
}

/**
 * Call the objective at x and read its loss. A non-finite loss (or gradient of the wrong size) is an error that
 * names `where` (e.g. 'lbfgs iteration 3, function evaluation 4'); the returned tensors are released then.
 */
export async function evaluateObjective(objective: Objective, x: Tensor, reader: ScalarReader, where: string): Promise<{ loss: number; grad: Tensor }> {
  const { loss, grad } = await objective(x);
  const fail = (message: string) => {
    if (grad !== x) grad.release();
    if (typeof loss !== 'number' && !loss.released) loss.release();
    return new Error(`${where}: ${message}`);
  };
  if (grad === x || grad.size !== x.size) {
    throw fail(`the objective must return a new gradient tensor the size of x ${shapeString(x.shape)}, got ${grad === x ? 'x itself' : shapeString(grad.shape)}`);
  }
  let value: number;
  try {
    value = typeof loss === 'number' ? loss : await reader.read(loss);
  } catch (e) {
    grad.release();
    throw e;
  }
  if (!Number.isFinite(value)) throw fail(`the loss is ${value}`);
  return { loss: value, grad };
}
