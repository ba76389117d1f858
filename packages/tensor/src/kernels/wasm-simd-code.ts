/**
 * The functions of Loom's SIMD module (wasm-simd.ts), as the bytes of their bodies,
 * each under its WAT. Parameters are byte offsets in the wasm heap and counts.
 */
import {
  ALIGNED4, BLOCK, BR, BR_IF, BULK, END, F32, F32X4_GT, F32X4_NE, F32_ADD, F32_CONST, F32_GT,
  F32_LOAD, F32_NE, F32_STORE, I32, I32_ADD, I32_CONST, I32_EQZ, I32_GE_S, I32_GE_U, I32_LOAD,
  I32_LT_U, I32_MUL, I32_SHL, I32_SHR_U, I32_STORE, I32_SUB, I8X16_SHUFFLE, IF, LOCAL_GET,
  LOCAL_SET, LOCAL_TEE, LOOP, MEMORY_FILL, NEXT4, RETURN, SELECT, SIMD, UNALIGNED, V128, V128_AND,
  V128_CONST, V128_LOAD, V128_OR, V128_STORE, VOID, addLocal, advance, countdown, decrement, lanes,
} from './wasm-encoding';

/**
 * (func $reluGrad (param $dy i32) (param $y i32) (param $out i32) (param $groups i32)
 *   (local $v v128)
 *   (block (loop
 *     (br_if 1 (i32.eqz (local.get $groups)))
 *     (v128.store (local.get $out)
 *       (v128.and (v128.load (local.get $dy))
 *         (v128.or (f32x4.gt (local.tee $v (v128.load (local.get $y))) (v128.const 0))
 *                  (f32x4.ne (local.get $v) (local.get $v)))))
 *     $dy += 16, $y += 16, $out += 16, $groups -= 1
 *     (br 0))))
 */
export const RELU_GRAD_BODY = [
  1, 1, V128,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 3, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 2,
  LOCAL_GET, 0, SIMD, V128_LOAD, ...UNALIGNED,
  LOCAL_GET, 1, SIMD, V128_LOAD, ...UNALIGNED, LOCAL_TEE, 4,
  SIMD, V128_CONST, ...new Array<number>(16).fill(0),
  SIMD, F32X4_GT,
  LOCAL_GET, 4, LOCAL_GET, 4, SIMD, F32X4_NE,
  SIMD, V128_OR,
  SIMD, V128_AND,
  SIMD, V128_STORE, ...UNALIGNED,
  ...advance(0, 16), ...advance(1, 16), ...advance(2, 16), ...decrement(3),
  BR, 0,
  END, END, END,
];

/**
 * (func $copyRuns (param $src i32) (param $dst i32) (param $blocks i32) (param $blockStride i32)
 *                 (param $rows i32) (param $rowSkip i32) (param $len i32)
 *   (local $r i32) (local $s i32) (local $k i32)
 *   (block (loop                                       ;; blocks
 *     (br_if 1 (i32.eqz (local.get $blocks)))
 *     $s = $src, $r = $rows
 *     (block (loop                                     ;; rows
 *       (br_if 1 (i32.eqz (local.get $r)))
 *       $k = $len
 *       (block (loop                                   ;; four values at a time
 *         (br_if 1 (i32.lt_u (local.get $k) (i32.const 4)))
 *         (v128.store (local.get $dst) (v128.load (local.get $s)))
 *         $s += 16, $dst += 16, $k -= 4
 *         (br 0)))
 *       (block (loop                                   ;; the rest one by one
 *         (br_if 1 (i32.eqz (local.get $k)))
 *         (i32.store (local.get $dst) (i32.load (local.get $s)))
 *         $s += 4, $dst += 4, $k -= 1
 *         (br 0)))
 *       $s += $rowSkip, $r -= 1
 *       (br 0)))
 *     $src += $blockStride, $blocks -= 1
 *     (br 0))))
 */
export const COPY_RUNS_BODY = [
  1, 3, I32,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 2, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 0, LOCAL_SET, 8,
  LOCAL_GET, 4, LOCAL_SET, 7,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 7, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 6, LOCAL_SET, 9,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 9, I32_CONST, 4, I32_LT_U, BR_IF, 1,
  LOCAL_GET, 1, LOCAL_GET, 8, SIMD, V128_LOAD, ...UNALIGNED, SIMD, V128_STORE, ...UNALIGNED,
  ...advance(8, 16), ...advance(1, 16), LOCAL_GET, 9, I32_CONST, 4, I32_SUB, LOCAL_SET, 9,
  BR, 0,
  END, END,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 9, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 1, LOCAL_GET, 8, I32_LOAD, ...ALIGNED4, I32_STORE, ...ALIGNED4,
  ...advance(8, 4), ...advance(1, 4), ...decrement(9),
  BR, 0,
  END, END,
  LOCAL_GET, 8, LOCAL_GET, 5, I32_ADD, LOCAL_SET, 8,
  ...decrement(7),
  BR, 0,
  END, END,
  LOCAL_GET, 0, LOCAL_GET, 3, I32_ADD, LOCAL_SET, 0,
  ...decrement(2),
  BR, 0,
  END, END, END,
];

/**
 * (func $maxPoolGrad (param $dy i32) (param $idx i32) (param $dx i32) (param $planes i32)
 *                    (param $outPlane i32) (param $planeBytes i32)
 *   (local $o i32) (local $k i32) (local $at i32)
 *   (memory.fill (local.get $dx) (i32.const 0) (i32.mul (local.get $planes) (local.get $planeBytes)))
 *   (block (loop                                       ;; planes
 *     (br_if 1 (i32.eqz (local.get $planes)))
 *     $o = $outPlane
 *     (block (loop                                     ;; the plane's outputs, in order
 *       (br_if 1 (i32.eqz (local.get $o)))
 *       (if (i32.ge_s (local.tee $k (i32.load (local.get $idx))) (i32.const 0))
 *         (then (f32.store (local.tee $at (i32.add (local.get $dx) (i32.shl (local.get $k) (i32.const 2))))
 *                 (f32.add (f32.load (local.get $at)) (f32.load (local.get $dy))))))
 *       $dy += 4, $idx += 4, $o -= 1
 *       (br 0)))
 *     $dx += $planeBytes, $planes -= 1
 *     (br 0))))
 */
export const MAX_POOL_GRAD_BODY = [
  1, 3, I32,
  LOCAL_GET, 2, I32_CONST, 0, LOCAL_GET, 3, LOCAL_GET, 5, I32_MUL, BULK, ...MEMORY_FILL,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 3, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 4, LOCAL_SET, 6,
  BLOCK, VOID, LOOP, VOID,
  LOCAL_GET, 6, I32_EQZ, BR_IF, 1,
  LOCAL_GET, 1, I32_LOAD, ...ALIGNED4, LOCAL_TEE, 7, I32_CONST, 0, I32_GE_S,
  IF, VOID,
  LOCAL_GET, 2, LOCAL_GET, 7, I32_CONST, 2, I32_SHL, I32_ADD, LOCAL_TEE, 8,
  LOCAL_GET, 8, F32_LOAD, ...ALIGNED4, LOCAL_GET, 0, F32_LOAD, ...ALIGNED4, F32_ADD,
  F32_STORE, ...ALIGNED4,
  END,
  ...advance(0, 4), ...advance(1, 4), ...decrement(6),
  BR, 0,
  END, END,
  LOCAL_GET, 2, LOCAL_GET, 5, I32_ADD, LOCAL_SET, 2,
  ...decrement(3),
  BR, 0,
  END, END, END,
];

/**
 * (func $maxPool2x2 (param $x $y $idx $planes $h $w $oh $ow i32) (result i32)
 *   (local $p $i $j $a $c $top $bot $k $plane $row $rowBytes $planeBytes i32) (local $va $vb $vc $vd $sum f32)
 *   $rowBytes = 8 * $w, $planeBytes = 4 * $h * $w, $plane = $x, $p = $planes
 *   (block (loop                                       ;; planes
 *     (br_if 1 (i32.eqz (local.get $p)))
 *     $row = $plane, $i = $oh
 *     (block (loop                                     ;; row pairs
 *       (br_if 1 (i32.eqz (local.get $i)))
 *       $a = $row, $c = $row + 4 * $w, $j = $ow
 *       (block (loop                                   ;; windows
 *         (br_if 1 (i32.eqz (local.get $j)))
 *         $va, $vb, $vc, $vd = the window's taps (row-major)
 *         (if (f32.ne (local.tee $sum (va + vb + vc + vd)) (local.get $sum)) (then (return (i32.const 1))))
 *         $top = (select (i32.add $a 4) $a (f32.gt $vb $va))    ;; strictly greater: the first wins ties
 *         $bot = (select (i32.add $c 4) $c (f32.gt $vd $vc))
 *         $k = (select $bot $top (f32.gt (f32.load $bot) (f32.load $top)))
 *         (f32.store $y (f32.load $k)), (i32.store $idx (i32.shr_u (i32.sub $k $plane) 2))
 *         $y += 4, $idx += 4, $a += 8, $c += 8, $j -= 1
 *         (br 0)))
 *       $row += $rowBytes, $i -= 1
 *       (br 0)))
 *     $plane += $planeBytes, $p -= 1
 *     (br 0)))
 *   (i32.const 0))
 */
export const MAX_POOL_2X2_BODY = ((): number[] => {
  const [x, y, idx, planes, h, w, oh, ow] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [p, i, j, a, c, top, bot, k, plane, row, rowBytes, planeBytes] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const [va, vb, vc, vd, sum] = [20, 21, 22, 23, 24];
  const set = (local: number, ...value: number[]): number[] => [...value, LOCAL_SET, local];
  const get = (local: number): number[] => [LOCAL_GET, local];
  return [
    2, 12, I32, 5, F32,
    ...set(rowBytes, ...get(w), I32_CONST, 3, I32_SHL),
    ...set(planeBytes, ...get(h), ...get(w), I32_MUL, I32_CONST, 2, I32_SHL),
    ...set(plane, ...get(x)),
    ...set(p, ...get(planes)),
    BLOCK, VOID, LOOP, VOID,
    ...get(p), I32_EQZ, BR_IF, 1,
    ...set(row, ...get(plane)),
    ...set(i, ...get(oh)),
    BLOCK, VOID, LOOP, VOID,
    ...get(i), I32_EQZ, BR_IF, 1,
    ...set(a, ...get(row)),
    ...set(c, ...get(row), ...get(w), I32_CONST, 2, I32_SHL, I32_ADD),
    ...set(j, ...get(ow)),
    BLOCK, VOID, LOOP, VOID,
    ...get(j), I32_EQZ, BR_IF, 1,
    ...set(va, ...get(a), F32_LOAD, ...ALIGNED4),
    ...set(vb, ...get(a), F32_LOAD, ...NEXT4),
    ...set(vc, ...get(c), F32_LOAD, ...ALIGNED4),
    ...set(vd, ...get(c), F32_LOAD, ...NEXT4),
    ...get(va), ...get(vb), F32_ADD, ...get(vc), F32_ADD, ...get(vd), F32_ADD, LOCAL_TEE, sum, ...get(sum), F32_NE,
    IF, VOID, I32_CONST, 1, RETURN, END,
    ...set(top, ...get(a), I32_CONST, 4, I32_ADD, ...get(a), ...get(vb), ...get(va), F32_GT, SELECT),
    ...set(bot, ...get(c), I32_CONST, 4, I32_ADD, ...get(c), ...get(vd), ...get(vc), F32_GT, SELECT),
    ...set(k, ...get(bot), ...get(top), ...get(bot), F32_LOAD, ...ALIGNED4, ...get(top), F32_LOAD, ...ALIGNED4, F32_GT, SELECT),
    ...get(y), ...get(k), F32_LOAD, ...ALIGNED4, F32_STORE, ...ALIGNED4,
    ...get(idx), ...get(k), ...get(plane), I32_SUB, I32_CONST, 2, I32_SHR_U, I32_STORE, ...ALIGNED4,
    ...advance(y, 4), ...advance(idx, 4), ...advance(a, 8), ...advance(c, 8), ...decrement(j),
    BR, 0,
    END, END,
    ...addLocal(row, rowBytes), ...decrement(i),
    BR, 0,
    END, END,
    ...addLocal(plane, planeBytes), ...decrement(p),
    BR, 0,
    END, END,
    I32_CONST, 0,
    END,
  ];
})();

/**
 * (func $transpose4 (param $x $out $batch $rows $cols $rows4 $cols4 i32)
 *   (local $mat $r $c $src $dst $rowBytes $outRowBytes $matBytes i32) (local $t0 $t1 $t2 $t3 v128)
 *   for each matrix, each 4x4 block (r, c) of the corner:
 *     rows a b c d of the block (4 loads) -> t0 = a0 b0 a1 b1, t1 = a2 b2 a3 b3, t2 = c0 d0 c1 d1,
 *     t3 = c2 d2 c3 d3 -> columns a0 b0 c0 d0 = (t0, t2)[0 1 4 5], a1 b1 c1 d1 = (t0, t2)[2 3 6 7],
 *     (t1, t3)[0 1 4 5], (t1, t3)[2 3 6 7], stored as rows c..c+3 of the output.
 */
export const TRANSPOSE4_BODY = ((): number[] => {
  const [x, out, batch, rows, cols, rows4, cols4] = [0, 1, 2, 3, 4, 5, 6];
  const [mat, r, c, src, dst, rowBytes, outRowBytes, matBytes] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [t0, t1, t2, t3] = [15, 16, 17, 18];
  const get = (local: number): number[] => [LOCAL_GET, local];
  const set = (local: number, ...value: number[]): number[] => [...value, LOCAL_SET, local];
  const load = (base: number, times: number, stride: number): number[] => [
    ...get(base), ...(times === 0 ? [] : [...get(stride), ...(times === 1 ? [] : [I32_CONST, times, I32_MUL]), I32_ADD]),
    SIMD, V128_LOAD, ...UNALIGNED,
  ];
  const shuffle = (a: number[], b: number[], picks: number[]): number[] => [...a, ...b, SIMD, I8X16_SHUFFLE, ...lanes(...picks)];
  const store = (times: number, value: number[]): number[] => [
    ...get(dst), ...(times === 0 ? [] : [...get(outRowBytes), ...(times === 1 ? [] : [I32_CONST, times, I32_MUL]), I32_ADD]),
    ...value, SIMD, V128_STORE, ...UNALIGNED,
  ];
  const LOW = [0, 4, 1, 5];
  const HIGH = [2, 6, 3, 7];
  const FIRST = [0, 1, 4, 5];
  const SECOND = [2, 3, 6, 7];
  return [
    2, 8, I32, 4, V128,
    ...set(rowBytes, ...get(cols), I32_CONST, 2, I32_SHL),
    ...set(outRowBytes, ...get(rows), I32_CONST, 2, I32_SHL),
    ...set(matBytes, ...get(rows), ...get(cols), I32_MUL, I32_CONST, 2, I32_SHL),
    ...set(mat, I32_CONST, 0),
    BLOCK, VOID, LOOP, VOID,
    ...get(batch), I32_EQZ, BR_IF, 1,
    ...set(r, I32_CONST, 0),
    BLOCK, VOID, LOOP, VOID,
    ...get(r), ...get(rows4), I32_GE_U, BR_IF, 1,
    ...set(c, I32_CONST, 0),
    BLOCK, VOID, LOOP, VOID,
    ...get(c), ...get(cols4), I32_GE_U, BR_IF, 1,
    // src = x + mat + (r*cols + c)*4, dst = out + mat + (c*rows + r)*4
    ...set(src, ...get(x), ...get(mat), I32_ADD, ...get(r), ...get(cols), I32_MUL, ...get(c), I32_ADD, I32_CONST, 2, I32_SHL, I32_ADD),
    ...set(dst, ...get(out), ...get(mat), I32_ADD, ...get(c), ...get(rows), I32_MUL, ...get(r), I32_ADD, I32_CONST, 2, I32_SHL, I32_ADD),
    ...set(t0, ...shuffle(load(src, 0, rowBytes), load(src, 1, rowBytes), LOW)),
    ...set(t1, ...shuffle(load(src, 0, rowBytes), load(src, 1, rowBytes), HIGH)),
    ...set(t2, ...shuffle(load(src, 2, rowBytes), load(src, 3, rowBytes), LOW)),
    ...set(t3, ...shuffle(load(src, 2, rowBytes), load(src, 3, rowBytes), HIGH)),
    ...store(0, shuffle(get(t0), get(t2), FIRST)),
    ...store(1, shuffle(get(t0), get(t2), SECOND)),
    ...store(2, shuffle(get(t1), get(t3), FIRST)),
    ...store(3, shuffle(get(t1), get(t3), SECOND)),
    ...advance(c, 4),
    BR, 0,
    END, END,
    ...advance(r, 4),
    BR, 0,
    END, END,
    ...addLocal(mat, matBytes), ...decrement(batch),
    BR, 0,
    END, END, END,
  ];
})();

/**
 * (func $patchRows (param $x $out $n $c $h $w $oh $ow $kh $kw $sh $sw $dh $dw $ones i32)
 *   for b < n, r < oh, q < ow:                         ;; one output pixel per row
 *     for ch < c, i < kh, j < kw:                      ;; its taps, in OIHW column order
 *       (i32.store $out (i32.load (x + ((b*c + ch)*h + r*sh + i*dh)*w + q*sw + j*dw)))), $out += 4
 *     (if $ones (f32.store $out (f32.const 1))), $out += 4
 * im2col's rows for windows inside the input (no bounds checks), counted down with
 * running addresses.
 */
export const PATCH_ROWS_BODY = ((): number[] => {
  const [x, out, n, c, h, w, oh, ow, kh, kw, sh, sw, dh, dw, ones] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [b, r, q, ch, i, j] = [15, 16, 17, 18, 19, 20];
  const [baseB, baseR, baseQ, baseC, baseI, p] = [21, 22, 23, 24, 25, 26];
  const [planeBytes, imageBytes, rowStep, colStep, tapRow, tapCol] = [27, 28, 29, 30, 31, 32];
  const get = (local: number): number[] => [LOCAL_GET, local];
  const set = (local: number, ...value: number[]): number[] => [...value, LOCAL_SET, local];
  const bytes = (...value: number[]): number[] => [...value, I32_CONST, 2, I32_SHL];
  const taps = countdown(j, [
    ...get(out), ...get(p), I32_LOAD, ...ALIGNED4, I32_STORE, ...ALIGNED4,
    ...advance(out, 4), ...addLocal(p, tapCol),
  ]);
  const pixel = countdown(ch, [
    ...set(i, ...get(kh)), ...set(baseI, ...get(baseC)),
    ...countdown(i, [...set(j, ...get(kw)), ...set(p, ...get(baseI)), ...taps, ...addLocal(baseI, tapRow)]),
    ...addLocal(baseC, planeBytes),
  ]);
  return [
    1, 18, I32,
    ...set(planeBytes, ...bytes(...get(h), ...get(w), I32_MUL)),
    ...set(imageBytes, ...get(planeBytes), ...get(c), I32_MUL),
    ...set(rowStep, ...bytes(...get(sh), ...get(w), I32_MUL)),
    ...set(colStep, ...bytes(...get(sw))),
    ...set(tapRow, ...bytes(...get(dh), ...get(w), I32_MUL)),
    ...set(tapCol, ...bytes(...get(dw))),
    ...set(b, ...get(n)), ...set(baseB, ...get(x)),
    ...countdown(b, [
      ...set(r, ...get(oh)), ...set(baseR, ...get(baseB)),
      ...countdown(r, [
        ...set(q, ...get(ow)), ...set(baseQ, ...get(baseR)),
        ...countdown(q, [
          ...set(ch, ...get(c)), ...set(baseC, ...get(baseQ)),
          ...pixel,
          ...get(ones), IF, VOID, ...get(out), F32_CONST, 0x00, 0x00, 0x80, 0x3f, F32_STORE, ...ALIGNED4, ...advance(out, 4), END,
          ...addLocal(baseQ, colStep),
        ]),
        ...addLocal(baseR, rowStep),
      ]),
      ...addLocal(baseB, imageBytes),
    ]),
    END,
  ];
})();
