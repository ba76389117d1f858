import { loadProtocol } from './load-protocol';

// The hand-written shapes of messages.ts, field by field; the .proto is the truth.
const SHAPES: Record<string, string[]> = {
  JoinRequest: ['protocolVersion', 'workerId', 'jobSignature', 'peerAddress', 'requestedRank', 'hostname', 'rejoinEpoch'],
  Member: ['rank', 'workerId', 'peerAddress'],
  JoinResponse: ['rank', 'worldSize', 'membershipEpoch', 'members', 'left', 'right', 'leaseId', 'heartbeatIntervalMs', 'heartbeatTimeoutMs', 'protocolVersion', 'jobSignature', 'joinedRunning', 'jobPath', 'trainingConfigJson', 'resumeCheckpoint'],
  ResumeCheckpoint: ['step', 'trainEpoch', 'batch', 'totalBytes'],
  LoadCheckpointRequest: ['workerId', 'leaseId'],
  MetricsBatch: ['reports'],
  HeartbeatRequest: ['workerId', 'leaseId', 'membershipEpoch', 'step'],
  HeartbeatResponse: ['membershipEpoch', 'heartbeatIntervalMs'],
  ControlRequest: ['workerId', 'leaseId'],
  ControlEvent: ['membershipEpoch', 'membershipChanged', 'stepAssignment', 'shutdown'],
  MembershipChanged: ['membershipEpoch', 'worldSize', 'members', 'lostWorkerIds', 'reason', 'graceful'],
  StepAssignment: ['step', 'trainEpoch', 'batchIndex', 'shardStart', 'shardEnd', 'globalBatchSize', 'sampleIndices', 'gradientWeight'],
  Shutdown: ['reason', 'failed'],
  MetricsReport: ['workerId', 'leaseId', 'membershipEpoch', 'step', 'trainEpoch', 'values'],
  LeaveRequest: ['workerId', 'leaseId', 'reason'],
  LeaveResponse: ['membershipEpoch'],
  CheckpointChunk: ['workerId', 'leaseId', 'step', 'trainEpoch', 'batch', 'totalBytes', 'offset', 'data', 'sha256'],
  CheckpointSaved: ['path', 'bytes', 'removed'],
};

describe('messages.ts matches coordinator.proto', () => {
  test.each(Object.keys(SHAPES))('%s', (name) => {
    const type = loadProtocol().root.lookupType(`loom.v1.${name}`);
    expect(Object.keys(type.fields).sort()).toEqual([...(SHAPES[name] as string[])].sort());
  });

  test('both services have the documented methods', () => {
    const { coordinatorService, peerService } = loadProtocol();
    expect(Object.keys(coordinatorService).sort()).toEqual(['Control', 'Heartbeat', 'Join', 'Leave', 'LoadCheckpoint', 'ReportMetrics', 'ReportMetricsBatch', 'SaveCheckpoint']);
    expect(peerService['Ring']).toMatchObject({ path: '/loom.v1.Peer/Ring', requestStream: false, responseStream: true });
    expect(coordinatorService['Control']).toMatchObject({ requestStream: false, responseStream: true });
  });

  test('every field and message of the .proto is documented', () => {
    const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
    const path = jest.requireActual<typeof import('node:path')>('node:path');
    const { findProtoRoot } = jest.requireActual<typeof import('./find-proto')>('./find-proto');
    const lines = fs.readFileSync(path.join(findProtoRoot(), 'loom/v1/coordinator.proto'), 'utf8').split('\n');
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const isField = /^\s+(optional |repeated )?[\w.<>, ]+ \w+ = \d+;/.test(line) && !/^\s+[A-Z_0-9]+ = \d+;/.test(line);
      const isDecl = /^(message|service|enum) \w+/.test(line);
      if (!isField && !isDecl) return;
      if (!(lines[i - 1]?.trim() ?? '').startsWith('//')) undocumented.push(`${i + 1}: ${line.trim()}`);
    });
    expect(undocumented).toEqual([]);
  });
});
