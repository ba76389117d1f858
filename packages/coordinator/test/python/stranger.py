"""A stranger, written with Python grpcio and message classes generated from the
repository's .proto: it calls every Coordinator method the .proto declares and each
worker's Peer.Ring
without the job's token and with a wrong one, using a member's stolen lease, then
sends a Join over the coordinator's message limit. Prints one JSON object: for each
attempt, the status code name (and the loom-error-code when there is one).

Usage: stranger.py GENERATED_DIR COORDINATOR PROTOCOL_VERSION WORKER_ID LEASE_ID PEER...
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from loom.v1 import coordinator_pb2 as pb  # noqa: E402

coordinator, version, worker_id, lease_id = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
peers = sys.argv[6:]
TIMEOUT_S = 10

# Fields a member's request may carry; each method's request gets those it has.
STOLEN = {"protocol_version": version, "worker_id": worker_id, "lease_id": lease_id, "membership_epoch": 1, "job_signature": "sig", "peer_address": "127.0.0.1:9", "reason": "stranger", "step": 1}


def request_for(message_class):
    fields = message_class.DESCRIPTOR.fields_by_name
    return message_class(**{k: v for k, v in STOLEN.items() if k in fields})


# Every Coordinator method the .proto declares, including any added later (grpc_tools
# is not installed on Debian; the generic stubs need only the serializers).
SERVICE = pb.DESCRIPTOR.services_by_name["Coordinator"]
CALLS = {m.name: (m.client_streaming, m.server_streaming, request_for(getattr(pb, m.input_type.name)), getattr(pb, m.output_type.name)) for m in SERVICE.methods}


def outcome(fn):
    try:
        fn()
        return {"code": "OK"}
    except grpc.RpcError as e:
        trailing = dict(e.trailing_metadata() or ())
        result = {"code": e.code().name}
        if "loom-error-code" in trailing:
            result["loom_error_code"] = trailing["loom-error-code"]
        return result


def call(channel, path, client_streaming, server_streaming, request, response, metadata):
    ser, de = type(request).SerializeToString, response.FromString
    if client_streaming and not server_streaming:
        stub = channel.stream_unary(path, request_serializer=ser, response_deserializer=de)
        return lambda: stub(iter([request]), metadata=metadata, timeout=TIMEOUT_S)
    if server_streaming and not client_streaming:
        stub = channel.unary_stream(path, request_serializer=ser, response_deserializer=de)
        return lambda: next(iter(stub(request, metadata=metadata, timeout=TIMEOUT_S)))
    if client_streaming:
        stub = channel.stream_stream(path, request_serializer=ser, response_deserializer=de)
        return lambda: next(iter(stub(iter([request]), metadata=metadata, timeout=TIMEOUT_S)))
    stub = channel.unary_unary(path, request_serializer=ser, response_deserializer=de)
    return lambda: stub(request, metadata=metadata, timeout=TIMEOUT_S)


AS = {"no_token": (), "wrong_token": (("authorization", "Bearer not-the-token-of-this-job"),)}
result = {"coordinator": {}, "ring": [], "oversized": None}
with grpc.insecure_channel(coordinator) as channel:
    for name, (client_streaming, server_streaming, request, response) in CALLS.items():
        for how, metadata in AS.items():
            result["coordinator"][f"{name}/{how}"] = outcome(call(channel, f"/loom.v1.Coordinator/{name}", client_streaming, server_streaming, request, response, metadata))
    big = pb.JoinRequest(protocol_version=version, worker_id="x" * (5 * 1024 * 1024), job_signature="sig", peer_address="127.0.0.1:9")
    result["oversized"] = outcome(call(channel, "/loom.v1.Coordinator/Join", False, False, big, pb.JoinResponse, AS["wrong_token"]))
for rank, peer in enumerate(peers):
    with grpc.insecure_channel(peer) as channel:
        hello = pb.RingHello(protocol_version=version, membership_epoch=1, receiver_rank=(rank + 1) % len(peers), world_size=len(peers), receiver_worker_id="stranger")
        result["ring"].append({how: outcome(call(channel, "/loom.v1.Peer/Ring", False, True, hello, pb.GradientChunk, metadata)) for how, metadata in AS.items()})
print(json.dumps(result))
