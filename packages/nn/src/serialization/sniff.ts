/**
 * Names what a file that is not a Loom checkpoint most likely is, from its first
 * bytes, so that the error can say how to read it instead.
 */
import { MAGIC_PREFIX } from './checkpoint-schema';

/** What the bytes look like and how to read such a file, if Loom can. */
export interface ForeignFile {
  looksLike: string;
  help: string;
}

/** Reading PyTorch's own files would mean unpickling them, which can run code; safetensors cannot. */
const PYTORCH_HELP =
  "Loom does not read PyTorch's pickle-based files: in Python, save the weights with safetensors " +
  "(safetensors.torch.save_file(model.state_dict(), 'model.safetensors')) and read them with loadSafetensors()";
const DEFAULT_HELP = "load() reads files written by Loom's save(); weights from PyTorch are read with loadSafetensors()";

/** Magic numbers of common formats, from each format's specification. */
const SIGNATURES: { bytes: number[]; looksLike: string; help?: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], looksLike: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], looksLike: 'a JPEG image' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], looksLike: "a zip archive, as PyTorch's torch.save writes (.pt, .pth)", help: PYTORCH_HELP },
  { bytes: [0x1f, 0x8b], looksLike: 'a gzip file' },
  { bytes: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], looksLike: 'an HDF5 file (Keras weights)' },
];

/** Describes `head` (the first bytes of a file). */
export function sniffForeign(head: Uint8Array): ForeignFile {
  // Eight bytes ("\n\x0floom.ch") are distinctive enough; the safetensors reader only has nine.
  if (head.length >= 8 && head.subarray(0, MAGIC_PREFIX.length).every((b, i) => MAGIC_PREFIX[i] === b)) {
    return { looksLike: 'a Loom checkpoint', help: 'read it with load()' };
  }
  for (const { bytes, looksLike, help } of SIGNATURES) {
    if (bytes.every((b, i) => head[i] === b)) return { looksLike, help: help ?? DEFAULT_HELP };
  }
  // Pickle protocol 2 to 5 starts with PROTO (0x80) and the protocol number: legacy torch.save.
  if (head[0] === 0x80 && (head[1] ?? 0) >= 2 && (head[1] ?? 0) <= 5) {
    return { looksLike: "a Python pickle, as PyTorch's legacy torch.save writes", help: PYTORCH_HELP };
  }
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  if (head.length > 8 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) {
    return { looksLike: 'a safetensors file', help: 'read it with loadSafetensors()' };
  }
  if (head[0] === 0x7b || head[0] === 0x5b) return { looksLike: 'JSON text', help: DEFAULT_HELP };
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return { looksLike: `an unknown format (first bytes ${hex})`, help: DEFAULT_HELP };
}
