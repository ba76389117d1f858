// Child processes of allreduce.js (forked, results over IPC). Roles:
//   raw-server            a grpc-js server: drains client streams (Push), serves
//                         server streams (Pull)
//   raw-client PORT MB R MODE
//                         moves MB megabytes R times through one grpc-js stream:
//                         MODE push = client to server, grpc-js defaults (the issue's
//                         baseline); MODE pull = server to client with the ring's
//                         16 MiB flow-control window (the ring's transport settings)
//   ring ADDRESS MB R W   joins the coordinator and all-reduces MB megabytes R times
//                         (after W warm-up rounds), timing each after a barrier
'use strict';
const grpc = require('@grpc/grpc-js');

const MIB = 1024 * 1024;
const identity = (b) => b;
/** One client-streaming method with raw Buffers: the bare transport the ring uses. */
const RAW_SERVICE = {
  Push: { path: '/bench.Raw/Push', requestStream: true, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  Pull: { path: '/bench.Raw/Pull', requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
/** The ring's receive window (FLOW_CONTROL_WINDOW_BYTES of @loom/coordinator). */
const RING_FLOW_CONTROL_WINDOW = 16 * MIB;
/** The ring's chunk payload (DEFAULT_CHUNK_BYTES) plus a chunk header's worth of bytes. */
const RAW_MESSAGE_BYTES = MIB + 40;

const send = (message) => process.send(message);

function rawServer() {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * MIB });
  server.addService(RAW_SERVICE, {
    Push: (call, callback) => {
      let bytes = 0;
      call.on('data', (d) => (bytes += d.length));
      call.on('end', () => callback(null, Buffer.from(String(bytes))));
    },
    Pull: (call) => {
      const total = Number(call.request.toString()) * MIB;
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += MIB;
          if (!call.write(Buffer.allocUnsafe(RAW_MESSAGE_BYTES))) return call.once('drain', pump);
        }
        call.end();
      };
      pump();
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    send({ port });
  });
}

function push(client, total) {
  return new Promise((resolve, reject) => {
    const call = client.Push((e) => (e ? reject(e) : resolve()));
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        // A fresh message each time, as the ring encodes a fresh chunk each time.
        const message = Buffer.allocUnsafe(RAW_MESSAGE_BYTES);
        sent += MIB;
        if (!call.write(message)) return call.once('drain', pump);
      }
      call.end();
    };
    pump();
  });
}

function pull(client, mb) {
  return new Promise((resolve, reject) => {
    const call = client.Pull(Buffer.from(String(mb)));
    call.on('data', () => undefined);
    call.on('error', reject);
    call.on('end', resolve);
  });
}

async function rawClient(port, mb, reps, mode) {
  const Client = grpc.makeGenericClientConstructor(RAW_SERVICE);
  const options = mode === 'pull' ? { 'grpc-node.flow_control_window': RING_FLOW_CONTROL_WINDOW } : {};
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  const seconds = [];
  const cpuSeconds = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = performance.now();
    const cpu = process.cpuUsage();
    await (mode === 'pull' ? pull(client, mb) : push(client, mb * MIB));
    const used = process.cpuUsage(cpu);
    seconds.push((performance.now() - started) / 1000);
    cpuSeconds.push((used.user + used.system) / 1e6);
  }
  client.close();
  // push: this process is the sender; pull: the receiver.
  send({ seconds, cpuSeconds });
}

async function ring(address, mb, reps, warmup) {
  const { joinGroup } = require('@loom/coordinator');
  const group = await joinGroup({ coordinator: address, jobSignature: 'bench-allreduce' });
  const grads = new Float32Array((mb * MIB) / 4);
  for (let i = 0; i < grads.length; i++) grads[i] = (i % 1000) / 1000;
  const seconds = [];
  const cpuSeconds = [];
  for (let rep = 0; rep < warmup + reps; rep++) {
    await group.barrier();
    const started = performance.now();
    const cpu = process.cpuUsage();
    await group.allReduce(grads, { weight: 1 / group.worldSize });
    const used = process.cpuUsage(cpu);
    if (rep >= warmup) {
      seconds.push((performance.now() - started) / 1000);
      cpuSeconds.push((used.user + used.system) / 1e6);
    }
  }
  send({ rank: group.rank, seconds, cpuSeconds, bytesSent: group.ring.bytesSent, bytesSentSharedMemory: group.ring.bytesSentSharedMemory });
  await group.close();
}

const [role, ...args] = process.argv.slice(2);
const main = { 'raw-server': rawServer, 'raw-client': rawClient, ring }[role];
Promise.resolve(main(...args.map((a) => (/^\d+$/.test(a) ? Number(a) : a)))).catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
