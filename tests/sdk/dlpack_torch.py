"""DLPack exchange between Backplane (backplane/dlpack.hpp) and PyTorch.

bp -> torch: a bp tensor exported as a DLManagedTensor, wrapped in a
"dltensor" PyCapsule and consumed by torch.utils.dlpack.from_dlpack: same
memory, writes visible both ways, our deleter called once when torch drops it.
torch -> bp: torch.utils.dlpack.to_dlpack, the pointer taken out of the
capsule (renamed "used_dltensor" as the protocol requires) and imported with
bp::from_dlpack: same memory, torch's deleter called once when bp drops it.
Exit 77 (CTest skip) when torch cannot be imported.
"""
import ctypes
import gc
import sys

try:
    import torch
    import torch.utils.dlpack
except Exception as error:  # noqa: BLE001 - any import failure means "no torch here"
    print(f"SKIP: PyTorch is not importable with {sys.executable}: {error}")
    sys.exit(77)

helper = ctypes.CDLL(sys.argv[1])
helper.bp_test_export.restype = ctypes.c_void_p
helper.bp_test_export.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
helper.bp_test_import.restype = ctypes.c_int
helper.bp_test_import.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_double)]

capsule_new = ctypes.pythonapi.PyCapsule_New
capsule_new.restype = ctypes.py_object
capsule_new.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
capsule_get = ctypes.pythonapi.PyCapsule_GetPointer
capsule_get.restype = ctypes.c_void_p
capsule_get.argtypes = [ctypes.py_object, ctypes.c_char_p]
capsule_rename = ctypes.pythonapi.PyCapsule_SetName
capsule_rename.restype = ctypes.c_int
capsule_rename.argtypes = [ctypes.py_object, ctypes.c_char_p]


checks_passed = 0


def check(condition, message):
    global checks_passed
    if not condition:
        print("FAIL:", message)
        sys.exit(1)
    checks_passed += 1
    print("ok:", message)


# ---- bp -> torch ----
data = ctypes.c_void_p()
managed = helper.bp_test_export(ctypes.byref(data))
check(managed, "bp_test_export produced a DLManagedTensor")
tensor = torch.utils.dlpack.from_dlpack(capsule_new(managed, b"dltensor", None))
check(tensor.data_ptr() == data.value, "torch sees the bp tensor's memory (zero-copy)")
check(tuple(tensor.shape) == (2, 3) and tensor.dtype == torch.float32, "shape (2, 3), float32")
check(tensor.flatten().tolist() == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5], "values written through bp are visible in torch")
tensor[1, 2] = 42.0
check(ctypes.c_float.from_address(data.value + 5 * 4).value == 42.0, "a write through torch lands in bp's memory")
check(helper.bp_test_export_deleter_calls() == 0, "our deleter is not called while torch holds the tensor")
del tensor
gc.collect()
check(helper.bp_test_export_deleter_calls() == 1, "torch called our deleter exactly once when it dropped the tensor")

# ---- torch -> bp ----
source = torch.arange(6, dtype=torch.float32).reshape(2, 3) * 1.5
capsule = torch.utils.dlpack.to_dlpack(source)
pointer = capsule_get(capsule, b"dltensor")
seen = ctypes.c_void_p()
total = ctypes.c_double()
check(helper.bp_test_import(pointer, ctypes.byref(seen), ctypes.byref(total)) == 0, "bp::from_dlpack accepted torch's tensor")
capsule_rename(capsule, b"used_dltensor")  # consumed: the capsule must no longer free it
check(seen.value == source.data_ptr(), "bp uses torch's memory (zero-copy)")
check(abs(total.value - float(source.sum())) < 1e-6, "values read through bp match torch")
del capsule
gc.collect()
check(helper.bp_test_import_deleter_calls() == 0, "torch's deleter is not called while bp holds the tensor")
helper.bp_test_release_import()
check(helper.bp_test_import_deleter_calls() == 1, "bp called torch's deleter exactly once when it dropped the tensor")
helper.bp_test_shutdown()
print("PASS: DLPack round trips with PyTorch", torch.__version__)
print(f"bp-test: ran={checks_passed} skipped=0")  # read by scripts/check-test-counts.py
