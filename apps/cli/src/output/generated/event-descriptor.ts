// GENERATED from proto/tensorboard/event.proto by tools/proto/generate-descriptors.js.
// Do not edit: change the .proto and run `node tools/proto/generate-descriptors.js`.

/** TensorBoard's event schema (scalar subset) as a protobufjs descriptor (`Root.fromJSON`; field names in camelCase). */
export const EVENT_DESCRIPTOR = {
  "nested": {
    "tensorboard": {
      "nested": {
        "Event": {
          "oneofs": {
            "what": {
              "oneof": [
                "fileVersion",
                "summary"
              ]
            }
          },
          "fields": {
            "wallTime": {
              "type": "double",
              "id": 1,
              "protoName": "wall_time"
            },
            "step": {
              "type": "int64",
              "id": 2
            },
            "fileVersion": {
              "type": "string",
              "id": 3,
              "protoName": "file_version"
            },
            "summary": {
              "type": "Summary",
              "id": 5
            }
          }
        },
        "Summary": {
          "fields": {
            "value": {
              "rule": "repeated",
              "type": "Value",
              "id": 1
            }
          },
          "nested": {
            "Value": {
              "oneofs": {
                "value": {
                  "oneof": [
                    "simpleValue"
                  ]
                }
              },
              "fields": {
                "tag": {
                  "type": "string",
                  "id": 1
                },
                "simpleValue": {
                  "type": "float",
                  "id": 2,
                  "protoName": "simple_value"
                }
              }
            }
          }
        }
      }
    }
  }
};
