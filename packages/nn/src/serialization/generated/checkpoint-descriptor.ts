// GENERATED from proto/loom/v1/checkpoint.proto by tools/proto/generate-descriptors.js.
// Do not edit: change the .proto and run `node tools/proto/generate-descriptors.js`.

/** The checkpoint schema as a protobufjs descriptor (`Root.fromJSON`; field names in camelCase). */
export const CHECKPOINT_DESCRIPTOR = {
  "nested": {
    "loom": {
      "nested": {
        "v1": {
          "nested": {
            "Checkpoint": {
              "fields": {
                "magic": {
                  "type": "string",
                  "id": 1
                },
                "formatVersion": {
                  "type": "fixed32",
                  "id": 2,
                  "protoName": "format_version"
                },
                "contentLength": {
                  "type": "fixed64",
                  "id": 3,
                  "protoName": "content_length"
                },
                "root": {
                  "type": "Value",
                  "id": 4
                },
                "chunks": {
                  "rule": "repeated",
                  "type": "TensorChunk",
                  "id": 5
                },
                "sha256": {
                  "type": "bytes",
                  "id": 15
                }
              }
            },
            "Value": {
              "oneofs": {
                "kind": {
                  "oneof": [
                    "nullValue",
                    "undefinedValue",
                    "boolValue",
                    "intValue",
                    "doubleValue",
                    "stringValue",
                    "bigintValue",
                    "listValue",
                    "objectValue",
                    "mapValue",
                    "tensor"
                  ]
                }
              },
              "fields": {
                "nullValue": {
                  "type": "NullValue",
                  "id": 1,
                  "protoName": "null_value"
                },
                "undefinedValue": {
                  "type": "Undefined",
                  "id": 2,
                  "protoName": "undefined_value"
                },
                "boolValue": {
                  "type": "bool",
                  "id": 3,
                  "protoName": "bool_value"
                },
                "intValue": {
                  "type": "sint64",
                  "id": 4,
                  "protoName": "int_value"
                },
                "doubleValue": {
                  "type": "double",
                  "id": 5,
                  "protoName": "double_value"
                },
                "stringValue": {
                  "type": "string",
                  "id": 6,
                  "protoName": "string_value"
                },
                "bigintValue": {
                  "type": "string",
                  "id": 7,
                  "protoName": "bigint_value"
                },
                "listValue": {
                  "type": "ListValue",
                  "id": 8,
                  "protoName": "list_value"
                },
                "objectValue": {
                  "type": "ObjectValue",
                  "id": 9,
                  "protoName": "object_value"
                },
                "mapValue": {
                  "type": "MapValue",
                  "id": 10,
                  "protoName": "map_value"
                },
                "tensor": {
                  "type": "Tensor",
                  "id": 11
                }
              }
            },
            "NullValue": {
              "values": {
                "NULL_VALUE": 0
              }
            },
            "Undefined": {
              "fields": {}
            },
            "ListValue": {
              "fields": {
                "items": {
                  "rule": "repeated",
                  "type": "Value",
                  "id": 1
                }
              }
            },
            "ObjectValue": {
              "fields": {
                "fields": {
                  "rule": "repeated",
                  "type": "ObjectField",
                  "id": 1
                }
              }
            },
            "ObjectField": {
              "fields": {
                "key": {
                  "type": "string",
                  "id": 1
                },
                "value": {
                  "type": "Value",
                  "id": 2
                }
              }
            },
            "MapValue": {
              "fields": {
                "entries": {
                  "rule": "repeated",
                  "type": "MapEntry",
                  "id": 1
                }
              }
            },
            "MapEntry": {
              "fields": {
                "key": {
                  "type": "Value",
                  "id": 1
                },
                "value": {
                  "type": "Value",
                  "id": 2
                }
              }
            },
            "DType": {
              "values": {
                "DTYPE_UNSPECIFIED": 0,
                "DTYPE_FLOAT32": 1,
                "DTYPE_INT32": 2,
                "DTYPE_BOOL": 3
              }
            },
            "Tensor": {
              "fields": {
                "dtype": {
                  "type": "DType",
                  "id": 1
                },
                "shape": {
                  "rule": "repeated",
                  "type": "uint64",
                  "id": 2
                },
                "id": {
                  "type": "uint32",
                  "id": 3
                },
                "requiresGrad": {
                  "type": "bool",
                  "id": 4,
                  "protoName": "requires_grad"
                }
              }
            },
            "TensorChunk": {
              "fields": {
                "tensorId": {
                  "type": "uint32",
                  "id": 1,
                  "protoName": "tensor_id"
                },
                "offset": {
                  "type": "uint64",
                  "id": 2
                },
                "data": {
                  "type": "bytes",
                  "id": 3
                }
              }
            }
          }
        }
      }
    }
  }
};
