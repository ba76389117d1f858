/**
 * The checkpoint a coordinator started with `--resume` continues from. Workers that
 * start without state of their own (new processes after the whole job was stopped, on
 * any machine) see it in `JoinResponse.resume_checkpoint` and download it with
 * `LoadCheckpoint`, so a multi-node job resumes without copying files to every node.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';
import { checkpointChunks } from '../protocol/checkpoint-transfer';
import type { CheckpointChunk, LoadCheckpointRequest, ResumeCheckpoint } from '../protocol/messages';

/** Where the resume checkpoint is and what it holds (`epoch`: 0-based). */
export interface ResumeCheckpointFile {
  file: string;
  step: number;
  epoch: number;
  batch: number;
}

/**
 * Serves one checkpoint file to workers.
 *
 * @example
 * ```ts
 * const source = new ResumeCheckpointSource({ file: 'run/checkpoints/step-00000040.ckpt', step: 40, epoch: 0, batch: 40 });
 * joinResponse.resumeCheckpoint = source.info;
 * await source.send(call);
 * ```
 */
export class ResumeCheckpointSource {
  /** What JoinResponse announces. */
  readonly info: ResumeCheckpoint;

  constructor(readonly checkpoint: ResumeCheckpointFile) {
    let totalBytes: number;
    try {
      totalBytes = fs.statSync(checkpoint.file).size;
    } catch (e) {
      throw new CoordinatorError('CHECKPOINT_UNAVAILABLE', `resume checkpoint ${checkpoint.file}: ${(e as Error).message}`);
    }
    this.info = { step: checkpoint.step, trainEpoch: checkpoint.epoch, batch: checkpoint.batch, totalBytes };
  }

  /** Streams the file to `call` in 1 MiB chunks, waiting for the stream to drain. */
  async send(call: ServerWritableStream<LoadCheckpointRequest, CheckpointChunk>): Promise<void> {
    const bytes = await fs.promises.readFile(this.checkpoint.file);
    if (bytes.length !== this.info.totalBytes) {
      throw new CoordinatorError('CHECKPOINT_UNAVAILABLE', `LoadCheckpoint: ${this.checkpoint.file} changed since the coordinator started (${bytes.length} bytes, announced ${this.info.totalBytes})`, 'restart the coordinator with --resume');
    }
    const { workerId, leaseId } = call.request;
    const description = { workerId, leaseId, step: this.info.step, trainEpoch: this.info.trainEpoch, batch: this.info.batch };
    for (const chunk of checkpointChunks(bytes, description)) {
      if (call.cancelled) return;
      if (!call.write(chunk as CheckpointChunk)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
    }
    call.end();
  }
}
