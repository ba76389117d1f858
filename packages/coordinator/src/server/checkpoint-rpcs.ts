/**
 * The coordinator's checkpoint calls, after the caller passed the auth hook:
 * `SaveCheckpoint` (rank 0's state into the run's checkpoints/, `checkpoint-store.ts`)
 * and `LoadCheckpoint` (the resume checkpoint to a new worker, `resume-checkpoint.ts`).
 */
import type { ServerReadableStream, ServerWritableStream } from '@grpc/grpc-js';
import { CoordinatorError } from '../errors';
import type { CheckpointChunk, CheckpointSaved, LoadCheckpointRequest, ResumeCheckpoint } from '../protocol/messages';
import type { MemberRecord } from '../rendezvous/membership';
import { createTracer } from '../trace';
import { CheckpointStore } from './checkpoint-store';
import type { CheckpointEvent, CoordinatorServerOptions } from './coordinator-options';
import { ResumeCheckpointSource } from './resume-checkpoint';

const trace = createTracer('coordinator');

/** The member holding a lease, or a typed error naming the RPC. */
export type MemberLookup = (rpc: string, workerId: string, leaseId: string) => MemberRecord;

/** Checkpoint storage and the resume checkpoint of one coordinator. */
export class CheckpointRpcs {
  private readonly store: CheckpointStore | null;
  private readonly resume: ResumeCheckpointSource | null;

  constructor(
    options: Pick<CoordinatorServerOptions, 'checkpointDir' | 'keepCheckpoints' | 'maxCheckpointBytes' | 'resumeCheckpoint'>,
    private readonly member: MemberLookup,
    private readonly onSaved: (event: CheckpointEvent) => void,
  ) {
    this.store = options.checkpointDir ? new CheckpointStore(options.checkpointDir, { keep: options.keepCheckpoints, maxBytes: options.maxCheckpointBytes }) : null;
    this.resume = options.resumeCheckpoint ? new ResumeCheckpointSource(options.resumeCheckpoint) : null;
  }

  /** What JoinResponse announces (null: no resume checkpoint). */
  get resumeInfo(): ResumeCheckpoint | null {
    return this.resume?.info ?? null;
  }

  /** `SaveCheckpoint`: receives a member's checkpoint and saves it. */
  async save(call: ServerReadableStream<CheckpointChunk, CheckpointSaved>): Promise<CheckpointSaved> {
    if (!this.store) throw new CoordinatorError('CHECKPOINT_UNAVAILABLE', 'SaveCheckpoint: this coordinator has no checkpoint folder', 'start the coordinator with a run dir (loom coordinator --run-dir DIR)');
    let rank = 0;
    const { saved, first } = await this.store.receive(call as AsyncIterable<CheckpointChunk>, (chunk) => void (rank = this.member('SaveCheckpoint', chunk.workerId, chunk.leaseId).rank));
    const { step, trainEpoch: epoch, batch } = first;
    trace(`checkpoint of step ${step} from rank ${rank} saved to ${saved.path} (${saved.bytes} bytes)`, 'info');
    this.onSaved({ ...saved, step, epoch, batch, rank });
    return saved;
  }

  /** `LoadCheckpoint`: sends the resume checkpoint to a member. */
  async load(call: ServerWritableStream<LoadCheckpointRequest, CheckpointChunk>): Promise<void> {
    this.member('LoadCheckpoint', call.request.workerId, call.request.leaseId);
    if (!this.resume) throw new CoordinatorError('CHECKPOINT_UNAVAILABLE', 'LoadCheckpoint: this coordinator has no checkpoint to resume from', 'start the coordinator with --resume and a run dir that holds checkpoints');
    await this.resume.send(call);
  }
}
