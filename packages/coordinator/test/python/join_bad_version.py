"""An independent client: Python grpcio calls Coordinator.Join with stubs generated
from the repository's .proto, once with a protocol version the coordinator does not
speak and once with the right one, and prints what came back as one JSON line.

Usage: join_bad_version.py GENERATED_DIR COORDINATOR_ADDRESS PROTOCOL_VERSION
(GENERATED_DIR holds loom/v1/coordinator_pb2.py from `protoc --python_out`.)
"""
import json
import sys

sys.path.insert(0, sys.argv[1])

import grpc  # noqa: E402
from loom.v1 import coordinator_pb2 as pb  # noqa: E402

address, version = sys.argv[2], int(sys.argv[3])
channel = grpc.insecure_channel(address)
# grpc_tools is not installed on Debian; the generic stub needs only the serializers.
join = channel.unary_unary(
    "/loom.v1.Coordinator/Join",
    request_serializer=pb.JoinRequest.SerializeToString,
    response_deserializer=pb.JoinResponse.FromString,
)
result = {}
try:
    join(pb.JoinRequest(protocol_version=version + 1, worker_id="python", job_signature="sig", peer_address="127.0.0.1:1"), timeout=10)
    result["bad"] = {"code": "OK"}
except grpc.RpcError as e:
    trailing = dict(e.trailing_metadata() or ())
    result["bad"] = {"code": e.code().name, "details": e.details(), "loom_error_code": trailing.get("loom-error-code")}
response = join(pb.JoinRequest(protocol_version=version, worker_id="python", job_signature="sig", peer_address="127.0.0.1:1"), timeout=10)
result["good"] = {"rank": response.rank, "world_size": response.world_size, "membership_epoch": response.membership_epoch, "right": response.right.worker_id}
print(json.dumps(result))
