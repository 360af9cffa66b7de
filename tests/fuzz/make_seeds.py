#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/).

The op-descriptor seeds encode one VALID descriptor per op kind and variant
(layouts, paddings, strides, transposes, in-place), so the fuzzer starts deep
inside every kernel instead of rediscovering shape rules byte by byte. The
byte format mirrors read_op() in op_desc_fuzzer.cpp. Re-run after changing
that format: `python3 tests/fuzz/make_seeds.py`.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FLOATS = {0.0: 0, 1.0: 1, -1.0: 2, 0.5: 3, 0.9: 4, 0.999: 5, 1e-7: 6, 1e-3: 7, 2.0: 10, 0.1: 13, 3.0: 14}
F32, I32 = 0, 4


def i(v):  # pick_int: b % 12 - 2
    assert -2 <= v <= 9
    return v + 2


def f(v):
    return FLOATS[v]


def tensor(shape, dtype=F32, flags=0, strides=None):
    out = [len(shape)] + [d for d in shape] + [dtype, flags]
    assert all(0 <= d <= 8 for d in shape)
    if strides is not None:
        assert flags & 0x08
        out += [s & 0xFF for s in strides]
    return out


def op(kind, attrs, ins, outs, more=False):
    csel = 5 if more else 1
    b = [kind + 1, 0] + attrs + [csel]
    for t in ins + outs:
        b += t
    return bytes(b)


def conv_attrs(layout=0, stride=(1, 1), dil=(1, 1), padding=0, pads=(0, 0, 0, 0), act=0):
    return [i(layout), i(stride[0]), i(stride[1]), i(dil[0]), i(dil[1]), i(padding)] + [i(p) for p in pads] + [i(act)]


def pool_attrs(layout=0, mode=0, win=(2, 2), stride=(2, 2), padding=0, pads=(0, 0, 0, 0)):
    return [i(layout), i(mode), i(win[0]), i(win[1]), i(stride[0]), i(stride[1]), i(padding)] + [i(p) for p in pads]


def op_desc_seeds():
    s = {}
    x, w, y = tensor([1, 5, 5, 2]), tensor([3, 3, 3, 2]), tensor([1, 3, 3, 3])
    s["conv_fwd_nhwc_relu_bias"] = op(1, conv_attrs(act=1), [x, w, tensor([3])], [y], more=True)
    s["conv_fwd_same"] = op(1, conv_attrs(padding=1), [x, w], [tensor([1, 5, 5, 3])])
    s["conv_fwd_nchw"] = op(1, conv_attrs(layout=1), [tensor([1, 2, 5, 5]), tensor([3, 2, 3, 3])], [tensor([1, 3, 3, 3])])
    s["conv_fwd_stride2_explicit"] = op(1, conv_attrs(stride=(2, 2), padding=2, pads=(1, 1, 1, 1)),
                                        [tensor([1, 6, 6, 1]), tensor([2, 3, 3, 1])], [tensor([1, 3, 3, 2])])
    s["conv_fwd_dilated"] = op(1, conv_attrs(dil=(2, 2)), [tensor([1, 7, 7, 1]), tensor([1, 3, 3, 1])], [tensor([1, 3, 3, 1])])
    s["conv_bwd_data"] = op(2, conv_attrs(), [y, w], [x])
    s["conv_bwd_filter"] = op(3, conv_attrs(), [x, y], [w])
    s["conv_bwd_data_nchw_same"] = op(2, conv_attrs(layout=1, padding=1),
                                      [tensor([1, 3, 5, 5]), tensor([3, 2, 3, 3])], [tensor([1, 2, 5, 5])])
    s["bias_add"] = op(4, [i(0)], [tensor([2, 3]), tensor([3])], [tensor([2, 3])])
    s["bias_add_nchw_inplace"] = op(4, [i(1)], [tensor([2, 3, 2, 2]), tensor([3])], [tensor([2, 3, 2, 2], flags=0x20)])
    s["bias_grad"] = op(5, [i(0)], [tensor([2, 4, 4, 3])], [tensor([3])])
    for name, a in (("relu", 1), ("sigmoid", 2), ("tanh", 3)):
        s["act_fwd_" + name] = op(6, [i(a)], [tensor([2, 3])], [tensor([2, 3])])
        s["act_bwd_" + name] = op(7, [i(a)], [tensor([4]), tensor([4])], [tensor([4])])
    s["pool_max"] = op(8, pool_attrs(), [tensor([1, 4, 4, 2])], [tensor([1, 2, 2, 2])])
    s["pool_avg_same"] = op(8, pool_attrs(mode=1, padding=1), [tensor([1, 5, 5, 1])], [tensor([1, 3, 3, 1])])
    s["pool_max_nchw_explicit"] = op(8, pool_attrs(layout=1, win=(3, 3), stride=(1, 1), padding=2, pads=(1, 1, 1, 1)),
                                     [tensor([1, 2, 4, 4])], [tensor([1, 2, 4, 4])])
    s["pool_bwd"] = op(9, pool_attrs(), [tensor([1, 4, 4, 2]), tensor([1, 2, 2, 2]), tensor([1, 2, 2, 2])],
                       [tensor([1, 4, 4, 2])])
    s["pool_bwd_avg"] = op(9, pool_attrs(mode=1), [tensor([1, 4, 4, 1]), tensor([1, 2, 2, 1]), tensor([1, 2, 2, 1])],
                           [tensor([1, 4, 4, 1])])
    s["gemm"] = op(10, [i(0), i(0), f(1.0), f(0.0)], [tensor([2, 3]), tensor([3, 4])], [tensor([2, 4])])
    s["gemm_ta_beta"] = op(10, [i(1), i(0), f(0.5), f(1.0)], [tensor([3, 2]), tensor([3, 4])], [tensor([2, 4])])
    s["gemm_tb"] = op(10, [i(0), i(1), f(2.0), f(0.0)], [tensor([2, 3]), tensor([4, 3])], [tensor([2, 4])])
    s["gemm_c_aliases_a"] = op(10, [i(0), i(0), f(1.0), f(0.0)], [tensor([2, 2]), tensor([2, 2])],
                               [tensor([2, 2], flags=0x20)])
    s["softmax"] = op(11, [i(0)], [tensor([2, 5])], [tensor([2, 5])])
    s["log_softmax"] = op(11, [i(1)], [tensor([3, 4])], [tensor([3, 4])])
    s["softmax_bwd"] = op(12, [i(0)], [tensor([2, 5]), tensor([2, 5])], [tensor([2, 5])])
    s["xent_fwd"] = op(13, [i(1)], [tensor([4, 3]), tensor([4], I32)], [tensor([1]), tensor([4, 3])])
    s["xent_fwd_scalar_sum"] = op(13, [i(0)], [tensor([4, 3]), tensor([4], I32)], [tensor([]), tensor([4, 3])])
    s["xent_bwd"] = op(14, [i(1)], [tensor([4, 3]), tensor([4], I32)], [tensor([4, 3])])
    s["adam"] = op(15, [f(1e-3), f(0.9), f(0.999), f(1e-7), i(1)], [tensor([5])], [tensor([5]), tensor([5]), tensor([5])])
    s["sgd"] = op(16, [f(0.1), f(0.0), i(0)], [tensor([5])], [tensor([5])])
    s["sgd_nesterov"] = op(16, [f(0.1), f(0.9), i(1)], [tensor([5])], [tensor([5]), tensor([5])], more=True)
    for k, name in ((17, "add"), (18, "sub"), (19, "mul")):
        s[name] = op(k, [], [tensor([2, 3]), tensor([2, 3])], [tensor([2, 3])])
    s["add_inplace"] = op(17, [], [tensor([2, 3]), tensor([2, 3])], [tensor([2, 3], flags=0x20)])
    s["scale"] = op(20, [f(0.5)], [tensor([6])], [tensor([6])])
    s["fill"] = op(21, [f(3.0)], [], [tensor([7])])
    s["fill_empty"] = op(21, [f(1.0)], [], [tensor([0, 3])])
    s["copy"] = op(22, [], [tensor([2, 3])], [tensor([2, 3])])
    s["copy_transposed"] = op(22, [], [tensor([3, 2], flags=0x08, strides=[1, 3])], [tensor([3, 2])])
    s["copy_reversed"] = op(22, [], [tensor([4], flags=0x08, strides=[-1])], [tensor([4])])
    s["copy_int32_offset"] = op(22, [], [tensor([5], I32, flags=0x10)], [tensor([5], I32)])
    s["reduce_axis"] = op(23, [i(0), i(1)], [tensor([2, 3])], [tensor([2, 1])])
    s["reduce_all_mean"] = op(23, [i(1), i(-1)], [tensor([2, 3])], [tensor([1])])
    s["reduce_drop_axis"] = op(23, [i(0), i(0)], [tensor([4, 3])], [tensor([3])])
    s["argmax"] = op(24, [], [tensor([3, 4])], [tensor([3], I32)])
    s["cuda_tensor"] = op(17, [], [tensor([4], flags=0x07), tensor([4])], [tensor([4])])
    return s


def config_seeds():
    lines = [
        ["cudnn:missing=libcudnn.so.9", "info,loader", "cudnn,openblas-cpu", "warn", "cudnn", "0", "", "", ""],
        ["*:abi_major=99;openblas-cpu:oom_at_execute", "debug", "auto", "error", "", "1", "x:no_device", "a,b", "c"],
        ["cudnn:version=libcudnn.so.9@8.9.7,cudnn:no_driver", "all,op,plugin", "", "allow", "a, b ,c", "yes"],
        ["bad", "loud", "not a name!", "sometimes", "bad name", "maybe"],
        ["x:abi_major=-1;y:version=@;z:missing=", "error,dependency"],
        ["cudnn:oom_at_init;cudnn:init_fail;cudnn:load_fail;cudnn:crash_in_probe"],
    ]
    return {"seed%d" % n: "\n".join(l).encode() for n, l in enumerate(lines)}


def discovery_seeds():
    # count, then per entry: type, mode, name selector [, name bytes] [, payload]; then the path selector.
    # Name selector k | (n << 3) with k < 4 names libbackplane-<names[n]>.so (0 openblas-cpu, 1 cudnn,
    # 2 x, 3 fakecpu, 4 fakegpu, 5 a.b, 6 dupe); k = 4 is libbackplane-<random>.so (length, chars follow).
    s = {}
    s["one_plugin"] = bytes([1, 2, 0, 0, 0])
    s["plugin_and_garbage"] = bytes([3, 2, 0, 0, 0, 0, 16, 5, 9, 3, 4, 5, 6, 1, 0, 28, 0, 1, 0])
    s["duplicate_and_symlink"] = bytes([3, 2, 0, 0, 2, 0, 8, 4, 0, 24, 0, 2])
    s["truncated_copy"] = bytes([2, 3, 0, 0, 128, 2, 0, 16, 0])
    s["fakes_zoo"] = bytes([4, 8, 0, 24, 0, 8, 0, 32, 1, 8, 0, 40, 6, 8, 0, 48, 9, 0])
    s["world_writable"] = bytes([1, 2, 2, 0, 1])
    s["odd_entries"] = bytes([5, 5, 0, 16, 6, 0, 8, 7, 0, 24, 10, 0, 32, 9, 0, 40, 4])
    return s


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as fh:
            fh.write(data)
    print("%s: %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    write("op_desc_fuzzer", op_desc_seeds())
    write("config_fuzzer", config_seeds())
    write("discovery_fuzzer", discovery_seeds())
